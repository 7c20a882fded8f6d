// How `changeset version` writes each package's CHANGELOG.md entry (.changeset/config.json names this
// file): a changeset's summary as it was written, without the commit hash changesets' default puts
// before it (a reader of the npm page cannot follow it), and one line for the workspace packages a
// release moved to, instead of a bare list.

/** The parts of changesets' changelog interface (`@changesets/types`) this file uses. */
interface ChangelogFunctions {
  getReleaseLine(changeset: { summary: string }): Promise<string>;
  getDependencyReleaseLine(
    changesets: unknown[],
    dependencies: { name: string; newVersion: string }[],
  ): Promise<string>;
}

const changelog: ChangelogFunctions = {
  getReleaseLine: (changeset) => {
    const [first = "", ...rest] = changeset.summary.trim().split("\n");
    return Promise.resolve(
      [
        `- ${first.trimEnd()}`,
        ...rest.map((l) => (l.trim() === "" ? "" : `  ${l.trimEnd()}`)),
      ].join("\n"),
    );
  },
  getDependencyReleaseLine: (_changesets, dependencies) => {
    if (dependencies.length === 0) return Promise.resolve("");
    const list = dependencies.map((d) => `\`${d.name}\` ${d.newVersion}`).join(", ");
    return Promise.resolve(`- Uses ${list}.`);
  },
};

export default changelog;
