// Stand-in for node-forge in tsconfig.web.json: the real @types/node-forge pulls in @types/node, and
// src/_internal/p12.ts types the slice of forge it uses itself (the import's value is `unknown`).
declare const forge: unknown;
export default forge;
