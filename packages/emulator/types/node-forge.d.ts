/**
 * A stand-in for node-forge's types, used only by tsconfig.web.json. `@types/node-forge` references
 * `@types/node`, which would bring Node's globals (Buffer, process) into the web check; this stub
 * keeps that check honest. The real types are checked by tsconfig.json and the build.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const forge: any;
export default forge;
