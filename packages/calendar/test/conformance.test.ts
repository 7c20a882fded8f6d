import { describe, it } from "vitest";
import { conformanceCases } from "./conformance.ts";

describe("conformance (Node)", () => {
  for (const c of conformanceCases) it(c.name, () => c.run(), 30_000);
});
