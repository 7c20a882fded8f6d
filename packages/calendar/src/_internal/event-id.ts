const alphabet = "0123456789abcdefghijklmnopqrstuv";

/**
 * A client-chosen event id: 26 base32hex characters (`0-9a-v`) from 128 random bits, inside Google's
 * rule of 5–1024 characters of that alphabet. Sending our own id makes an insert safe to repeat.
 */
export function newEventId(
  random: (bytes: Uint8Array<ArrayBuffer>) => Uint8Array = (b) => crypto.getRandomValues(b),
): string {
  const bytes = random(new Uint8Array(17));
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let id = "";
  for (let i = 0; i < 26; i++) {
    id += alphabet[Number(bits & 31n)];
    bits >>= 5n;
  }
  return id;
}

/** Whether a string is a valid client-chosen event id. */
export function isEventId(id: string): boolean {
  return /^[0-9a-v]{5,1024}$/.test(id);
}
