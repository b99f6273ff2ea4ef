// GNOME's gvfs (Debian `gvfs-backends`, driven with `gio` in a private D-Bus
// session from `dbus-run-session`) against the WebDAV app: mount, mkdir, copy up
// and down, list with sizes, cat, move, remove, unmount; the state it leaves is
// checked through BackupFS. Without the tools the test fails, naming the packages.

import { assert, assertEquals, assertMatch } from "../../support/assert.ts";
import { startDav } from "../support/dav_server.ts";
import { patternBytes, requireTool, runOk, sameBytes, tempDir } from "./support/client_tools.ts";

const PACKAGES = "gvfs-backends gvfs-daemons gvfs libglib2.0-bin dbus-daemon";

Deno.test("gvfs (gio): mount, mkdir, copy up and down, list, cat, move, remove, unmount", async () => {
  await requireTool(["/usr/bin/gio"], PACKAGES);
  const session = await requireTool(["/usr/bin/dbus-run-session"], PACKAGES);
  await requireTool(["/usr/libexec/gvfsd-dav", "/usr/lib/gvfs/gvfsd-dav"], PACKAGES);
  const dav = await startDav({}, { chunkSize: 256 * 1024 });
  await using work = await tempDir("backupfs-gvfs-");
  try {
    const home = `${work.path}/home`;
    await Deno.mkdir(home);
    const text = "hello from gio\n";
    const big = patternBytes(1_500_000, 7);
    await Deno.writeTextFile(`${work.path}/a.txt`, text);
    await Deno.writeFile(`${work.path}/big.bin`, big);
    const root = dav.base.replace(/^http:/, "dav:");
    // One D-Bus session for the whole script: gio starts gvfsd-dav in it.
    const script = [
      "set -e",
      `gio mount '${root}' < /dev/null`,
      `gio mkdir '${root}docs'`,
      `gio copy a.txt '${root}docs/a.txt'`,
      `gio copy big.bin '${root}docs/big.bin'`,
      "echo '== list'",
      `gio list -l '${root}docs/'`,
      "echo '== cat'",
      `gio cat '${root}docs/a.txt'`,
      `gio copy '${root}docs/big.bin' big.out`,
      `gio move '${root}docs/a.txt' '${root}docs/renamed.txt'`,
      `gio remove '${root}docs/big.bin'`,
      "echo '== after'",
      `gio list '${root}docs/'`,
      `gio mount -u '${root}'`,
      "echo '== done'",
    ].join("\n");
    const result = await runOk(session, {
      args: ["--", "bash", "-c", script],
      env: { HOME: home, LANG: "C.UTF-8" },
      cwd: work.path,
      timeoutMs: 90_000,
    });
    const out = result.stdout;
    assertMatch(out, /== done/, `${out}\n${result.stderr}`);
    const section = (name: string, next: string) =>
      out.slice(out.indexOf(`== ${name}`), out.indexOf(`== ${next}`));
    // `gio list -l`: name, size, type per line.
    assertMatch(section("list", "cat"), /^a\.txt\t15\t\(regular\)/m);
    assertMatch(section("list", "cat"), /^big\.bin\t1500000\t\(regular\)/m);
    assertEquals(section("cat", "after").replace("== cat\n", ""), text);
    assertEquals(section("after", "done").replace("== after\n", "").trim(), "renamed.txt");
    assert(sameBytes(await Deno.readFile(`${work.path}/big.out`), big), "big.bin came back whole");

    const names: string[] = [];
    for await (const entry of dav.reopen().readDir("/docs")) names.push(entry.name);
    assertEquals(names, ["renamed.txt"]);
    assertEquals(await dav.reopen().readTextFile("/docs/renamed.txt"), text);
  } finally {
    await dav.close();
  }
});
