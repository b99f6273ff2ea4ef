/**
 * A child process and its descendants on Linux: their PIDs (to end every process a
 * server forked, by id) and the CPU time they used. Deno refuses to read `/proc`
 * without `--allow-all`, so this asks `ps` and `cat` (`--allow-run`).
 *
 * @module
 */

import { CLOCK_TICKS, readProcFiles } from "./proc_files.ts";

/** What `ps` printed. */
async function psOutput(args: string[]): Promise<string> {
  const result = await new Deno.Command("ps", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(result.stdout);
}

/**
 * `root` and every live descendant of it (children, grandchildren, …), root first.
 * Empty when `root` is gone.
 *
 * @example
 * ```ts ignore
 * import { processTree } from "./process_tree.ts";
 * console.log((await processTree(Deno.pid))[0] === Deno.pid); // true
 * ```
 */
export async function processTree(root: number): Promise<number[]> {
  const byParent = new Map<number, number[]>();
  const all = new Set<number>();
  for (const line of (await psOutput(["-e", "-o", "pid=,ppid="])).split("\n")) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (!Number.isSafeInteger(pid) || !Number.isSafeInteger(ppid)) continue;
    all.add(pid);
    const children = byParent.get(ppid) ?? [];
    children.push(pid);
    byParent.set(ppid, children);
  }
  if (!all.has(root)) return [];
  const tree = [root];
  for (let i = 0; i < tree.length && tree.length < 100_000; i++) {
    tree.push(...(byParent.get(tree[i]) ?? []));
  }
  return tree;
}

/**
 * CPU seconds (user + system, all threads) used so far by `root` and its live
 * descendants, including the children they have already reaped.
 *
 * @example
 * ```ts ignore
 * import { processTreeCpuSeconds } from "./process_tree.ts";
 * console.log(await processTreeCpuSeconds(Deno.pid) > 0); // true
 * ```
 */
export async function processTreeCpuSeconds(root: number): Promise<number> {
  const pids = await processTree(root);
  if (pids.length === 0) return 0;
  // A process that ended meanwhile is left out: its reaper counts it.
  const { text } = await readProcFiles(pids.map((pid) => `/proc/${pid}/stat`));
  let ticks = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    // The command name (field 2) is in parentheses and may hold spaces: split after it.
    const fields = line.slice(line.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state); utime, stime, cutime, cstime are fields 14..17.
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  }
  return ticks / CLOCK_TICKS;
}

/**
 * CPU seconds (user + system) of process `pid` itself (`own`, all its threads) and of
 * the children it has reaped so far (`reaped`: `cutime + cstime`), e.g. the CPU the
 * short-lived client processes of a benchmark phase used, once they were waited for.
 * Undefined when the process is gone.
 *
 * @example
 * ```ts ignore
 * import { ownAndReapedCpuSeconds } from "./process_tree.ts";
 * const before = await ownAndReapedCpuSeconds(Deno.pid);
 * await new Deno.Command("true").output();
 * const after = await ownAndReapedCpuSeconds(Deno.pid);
 * console.log(after!.reaped >= before!.reaped); // true
 * ```
 */
export async function ownAndReapedCpuSeconds(
  pid: number,
): Promise<{ own: number; reaped: number } | undefined> {
  const line = (await readProcFiles([`/proc/${pid}/stat`])).text.trim();
  if (line === "") return undefined;
  const fields = line.slice(line.lastIndexOf(")") + 2).split(" ");
  return {
    own: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
    reaped: (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS,
  };
}
