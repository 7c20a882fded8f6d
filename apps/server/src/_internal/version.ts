/** The version `--version` prints and /openapi.json names (follows package.json on release). */
export const VERSION_STRING = "0.0.0";
