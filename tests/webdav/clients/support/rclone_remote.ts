// An rclone (Debian `rclone`) WebDAV remote named `bfs:` for the tests, set up
// entirely through the environment (an empty config file in a home of its own).

import { runOk, type ToolResult } from "./client_tools.ts";

/** How {@link rcloneRemote} sets up `bfs:`. */
export interface RcloneRemoteOptions {
  /** The WebDAV URL (with its trailing slash). */
  url: string;
  /** rclone's WebDAV vendor (default `other`). */
  vendor?: string;
  /** Basic-auth user and password (the password is passed obscured, as rclone wants). */
  auth?: { user: string; password: string };
  /** Added after every command's arguments, before `--retries 1` (e.g. `--ca-cert FILE`). */
  flags?: string[];
  /** Start from this process's environment (default: only what the remote needs). */
  inheritEnv?: boolean;
  /** Bound on each run (default 120 s). */
  timeoutMs?: number;
}

/** The remote: its environment, and `run` (rclone with it, asserting success). */
export interface RcloneRemote {
  env: Record<string, string>;
  run(...args: string[]): Promise<ToolResult>;
}

/** Creates `home` with an empty rclone.conf and returns the `bfs:` remote over `options.url`. */
export async function rcloneRemote(
  rclone: string,
  home: string,
  options: RcloneRemoteOptions,
): Promise<RcloneRemote> {
  await Deno.mkdir(home, { recursive: true });
  await Deno.writeTextFile(`${home}/rclone.conf`, "");
  const auth: Record<string, string> = {};
  if (options.auth !== undefined) {
    const obscured = await runOk(rclone, { args: ["obscure", options.auth.password] });
    auth.RCLONE_CONFIG_BFS_USER = options.auth.user;
    auth.RCLONE_CONFIG_BFS_PASS = obscured.stdout.trim();
  }
  const env: Record<string, string> = {
    ...(options.inheritEnv ? Deno.env.toObject() : {}),
    HOME: home,
    RCLONE_CONFIG: `${home}/rclone.conf`,
    RCLONE_CONFIG_BFS_TYPE: "webdav",
    RCLONE_CONFIG_BFS_URL: options.url,
    RCLONE_CONFIG_BFS_VENDOR: options.vendor ?? "other",
    ...auth,
  };
  const flags = options.flags ?? [];
  return {
    env,
    run: (...args) =>
      runOk(rclone, {
        args: [...args, ...flags, "--retries", "1"],
        env,
        timeoutMs: options.timeoutMs ?? 120_000,
      }),
  };
}
