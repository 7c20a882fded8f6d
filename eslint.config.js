// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/dist/**",
      "**/node_modules/**",
      "**/.turbo/**",
      "**/coverage/**",
      "**/.doc-check/**",
      "**/*.js",
      "**/*.cjs",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    // An optional property says `| undefined` too: a caller compiling with exactOptionalPropertyTypes may
    // pass `subject: config.subject` where that is `string | undefined`, and the code reads undefined as absent.
    files: ["packages/*/src/**/*.ts"],
    ignores: ["packages/*/src/**/*.test.ts", "packages/*/src/_generated/discovery.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        ...["TSPropertySignature", "PropertyDefinition"].map((node) => ({
          selector: `${node}[optional=true] > TSTypeAnnotation > :not(TSUndefinedKeyword, TSUnknownKeyword, TSAnyKeyword, TSUnionType:has(> TSUndefinedKeyword))`,
          message:
            "An optional property also accepts undefined: write `x?: T | undefined` (exactOptionalPropertyTypes callers pass undefined).",
        })),
        {
          selector: "TSMethodSignature[optional=true]",
          message:
            "Write an optional method as a property, `m?: (() => T) | undefined` (exactOptionalPropertyTypes callers pass undefined).",
        },
      ],
    },
  },
  {
    // Library code is Web-standard: `node:` modules only in named runtime adapters (they must run on Node and Deno alike).
    files: ["packages/*/src/**/*.ts"],
    ignores: [
      "packages/*/src/**/*.test.ts",
      "packages/*/src/node.ts",
      "packages/*/src/node/**",
      "packages/*/src/_internal/*.node.ts",
    ],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["node:*"],
              message:
                "Library code is Web-standard; put runtime code in an adapter (src/node.ts or src/_internal/*.node.ts).",
            },
          ],
        },
      ],
      "no-restricted-globals": [
        "error",
        { name: "Buffer", message: "Use Uint8Array." },
        { name: "process", message: "Inject it, or read it in an adapter." },
        { name: "__dirname", message: "Use import.meta." },
      ],
    },
  },
);
