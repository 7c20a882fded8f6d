import type { ArgsDef, CommandDef } from "citty";
import { defineCommand } from "citty";
import type { Root } from "../_internal/dispatch.ts";
import type { Io } from "../_internal/io.ts";
import { ioOf, printLines } from "../_internal/io.ts";
import { UsageError } from "../_internal/usage-error.ts";

/** One command of the tree: its path, subcommands and flags, as the completion scripts need them. */
export interface CompletionNode {
  /** Words after `dwd`, e.g. `["events", "list"]`. */
  path: string[];
  /** Subcommand names with their descriptions. */
  commands: { name: string; description: string }[];
  /** Flags: `--name`, whether it takes a value, and what completes that value. */
  flags: {
    flag: string;
    description: string;
    value?: "file" | "dir" | "word";
    options?: string[];
  }[];
}

type AnyCommand = CommandDef<ArgsDef>;

async function resolve<T>(value: T | Promise<T> | (() => T) | (() => Promise<T>)): Promise<T> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

function flagsOf(args: ArgsDef): CompletionNode["flags"] {
  const out: CompletionNode["flags"] = [];
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const description = (def.description ?? "").replace(/\s+/g, " ");
    if (def.type === "boolean") {
      out.push({ flag: `--${name}`, description });
      continue;
    }
    const hint = (def as { valueHint?: string }).valueHint;
    const options =
      def.type === "enum" ? [...((def as { options?: string[] }).options ?? [])] : undefined;
    out.push({
      flag: `--${name}`,
      description,
      value: hint === "file" ? "file" : hint === "dir" ? "dir" : "word",
      ...(options !== undefined ? { options } : {}),
    });
  }
  return out.sort((a, b) => a.flag.localeCompare(b.flag));
}

/** Walks the whole command tree (loading every command module). */
export async function completionTree(root: Root): Promise<CompletionNode[]> {
  const nodes: CompletionNode[] = [
    {
      path: [],
      commands: Object.entries(root.commands).map(([name, c]) => ({
        name,
        description: c.meta.description ?? "",
      })),
      flags: [
        ...flagsOf(root.args),
        { flag: "--help", description: "Show help" },
        { flag: "--version", description: "Show the version" },
      ],
    },
  ];
  const walk = async (cmd: AnyCommand, path: string[]): Promise<void> => {
    const subs = cmd.subCommands === undefined ? {} : await resolve(cmd.subCommands);
    const children: [string, AnyCommand][] = [];
    for (const [name, sub] of Object.entries(subs))
      children.push([name, (await resolve(sub)) as AnyCommand]);
    const args = cmd.args === undefined ? {} : await resolve(cmd.args);
    nodes.push({
      path,
      commands: await Promise.all(
        children.map(async ([name, c]) => ({
          name,
          description:
            (c.meta === undefined ? undefined : (await resolve(c.meta)).description) ?? "",
        })),
      ),
      flags: [...flagsOf(args), { flag: "--help", description: "Show help" }],
    });
    for (const [name, c] of children) await walk(c, [...path, name]);
  };
  for (const [name, lazy] of Object.entries(root.commands))
    await walk((await lazy.load()) as AnyCommand, [name]);
  return nodes;
}

const shellWord = (w: string): string => `'${w.replace(/'/g, "'\\''")}'`;

/** A bash completion script (complete -F). */
export function bashScript(nodes: readonly CompletionNode[]): string {
  const cases = nodes.map((n) => {
    const words = [...n.commands.map((c) => c.name), ...n.flags.map((f) => f.flag)].join(" ");
    const valued = n.flags.filter((f) => f.value !== undefined);
    const valueCases = valued
      .map((f) => {
        const action =
          f.options !== undefined
            ? `COMPREPLY=($(compgen -W ${shellWord(f.options.join(" "))} -- "$cur"))`
            : f.value === "file"
              ? `COMPREPLY=($(compgen -f -- "$cur"))`
              : f.value === "dir"
                ? `COMPREPLY=($(compgen -d -- "$cur"))`
                : "COMPREPLY=()";
        return `        ${f.flag}) ${action}; return ;;`;
      })
      .join("\n");
    return [
      `    ${shellWord(n.path.join(" "))})`,
      `      case "$prev" in`,
      valueCases,
      `      esac`,
      `      COMPREPLY=($(compgen -W ${shellWord(words)} -- "$cur")) ;;`,
    ]
      .filter((l) => l !== "")
      .join("\n");
  });
  const paths = nodes.filter((n) => n.commands.length > 0).map((n) => n.path.join(" "));
  const valuedFlags = [
    ...new Set(nodes.flatMap((n) => n.flags.filter((f) => f.value).map((f) => f.flag))),
  ];
  return `# bash completion for dwd. Load it with: source <(dwd completion bash)
# or save it: dwd completion bash > ~/.local/share/bash-completion/completions/dwd
_dwd() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" path="" word i
  [ "$COMP_CWORD" -gt 0 ] && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  # The command path: the words that name subcommands, skipping flags and their values.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "$word" in
      ${valuedFlags.join("|") || "--none"}) ((i++)); continue ;;
      -*) continue ;;
    esac
    case "\${path:+$path }$word" in
      ${
        paths.filter((p) => p !== "").length > 0
          ? nodes
              .filter((n) => n.path.length > 0)
              .map((n) => shellWord(n.path.join(" ")))
              .join("|")
          : "--none"
      }) path="\${path:+$path }$word" ;;
    esac
  done
  case "$path" in
${cases.join("\n")}
  esac
}
complete -o default -F _dwd dwd
`;
}

/** A zsh completion script: zsh's bashcompinit runs the bash function. */
export function zshScript(nodes: readonly CompletionNode[]): string {
  return `#compdef dwd
# zsh completion for dwd. Load it with: source <(dwd completion zsh)
# zsh runs the bash completion function through bashcompinit (which needs compinit loaded first).
(( $+functions[compdef] )) || { autoload -U +X compinit && compinit; }
autoload -U +X bashcompinit && bashcompinit
${bashScript(nodes)
  .split("\n")
  .filter((l) => !l.startsWith("# bash completion") && !l.startsWith("# or save it"))
  .join("\n")}`;
}

const fishWord = (w: string): string => `'${w.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/** A fish completion script. */
export function fishScript(nodes: readonly CompletionNode[]): string {
  const lines = [
    "# fish completion for dwd. Load it with: dwd completion fish | source",
    "# or save it: dwd completion fish > ~/.config/fish/completions/dwd.fish",
    "function __dwd_path",
    "    set -l words (commandline -opc)",
    "    set -l path",
    "    set -e words[1]",
    "    set -l skip 0",
    "    for w in $words",
    "        if test $skip -eq 1",
    "            set skip 0",
    "            continue",
    "        end",
    `        if contains -- $w ${[...new Set(nodes.flatMap((n) => n.flags.filter((f) => f.value).map((f) => f.flag)))].join(" ")}`,
    "            set skip 1",
    "            continue",
    "        end",
    "        string match -q -- '-*' $w; and continue",
    "        set -l next (string join ' ' -- $path $w)",
    `        contains -- $next ${nodes
      .filter((n) => n.path.length > 0)
      .map((n) => fishWord(n.path.join(" ")))
      .join(" ")}; and set path $path $w`,
    "    end",
    '    string join " " -- $path',
    "end",
    "function __dwd_is",
    "    set -l p (__dwd_path)",
    '    test "$p" = "$argv[1]"',
    "end",
    "complete -c dwd -f",
  ];
  for (const n of nodes) {
    const cond = `-n ${fishWord(`__dwd_is ${fishWord(n.path.join(" "))}`)}`;
    for (const c of n.commands)
      lines.push(`complete -c dwd ${cond} -a ${fishWord(c.name)} -d ${fishWord(c.description)}`);
    for (const f of n.flags) {
      const value =
        f.options !== undefined
          ? ` -x -a ${fishWord(f.options.join(" "))}`
          : f.value === "file" || f.value === "dir"
            ? " -r -F"
            : f.value === "word"
              ? " -x"
              : "";
      lines.push(
        `complete -c dwd ${cond} -l ${f.flag.slice(2)}${value} -d ${fishWord(f.description)}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

/** `dwd completion bash|zsh|fish`: the script on stdout. */
export async function completion(shell: string, root: Root, io: Io): Promise<number> {
  const make = { bash: bashScript, zsh: zshScript, fish: fishScript }[shell];
  if (make === undefined)
    throw new UsageError(
      `Unknown shell "${shell}": dwd completes bash, zsh and fish`,
      "Give one of: dwd completion bash, dwd completion zsh, dwd completion fish",
    );
  const script = make(await completionTree(root));
  printLines(io.out, script.trimEnd());
  return 0;
}

/** The `completion` command, over the root it completes. */
export function completionCommand(root: Root): AnyCommand {
  return defineCommand({
    meta: {
      name: "dwd completion",
      description: "Print a shell completion script: source <(dwd completion bash)",
    },
    args: {
      shell: { type: "positional", required: true, description: "bash, zsh or fish" },
    },
    run: (ctx) => completion(String(ctx.args.shell), root, ioOf(ctx)),
  }) as AnyCommand;
}
