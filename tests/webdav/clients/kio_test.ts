// KDE's KIO (Debian `kde-cli-tools` and `kio`, driven with `kioclient5` in a
// private D-Bus session, Qt's offscreen platform) against the WebDAV app: copy a
// folder up, list, cat, copy a file down, move, stat, remove; the state it leaves
// is checked through BackupFS. Without the tools the test fails, naming the packages.

import { assert, assertEquals, assertMatch } from "../../support/assert.ts";
import { startDav } from "../support/dav_server.ts";
import { patternBytes, requireTool, runOk, sameBytes, tempDir } from "./support/client_tools.ts";

const PACKAGES = "kde-cli-tools kio dbus-daemon";

Deno.test("kio (kioclient5): copy a folder up, ls, cat, copy down, move, stat, remove", async () => {
  await requireTool(["/usr/bin/kioclient5"], PACKAGES);
  const session = await requireTool(["/usr/bin/dbus-run-session"], PACKAGES);
  const dav = await startDav({}, { chunkSize: 256 * 1024 });
  await using work = await tempDir("backupfs-kio-");
  try {
    await Deno.mkdir(`${work.path}/home`);
    await Deno.mkdir(`${work.path}/kdir`);
    const text = "hello from kio\n";
    const big = patternBytes(1_500_000, 11);
    await Deno.writeTextFile(`${work.path}/kdir/a.txt`, text);
    await Deno.writeFile(`${work.path}/kdir/big.bin`, big);
    const root = dav.base.replace(/^http:/, "webdav:");
    const kio = "kioclient5 --noninteractive";
    const script = [
      "set -e",
      `${kio} copy kdir '${root}'`,
      "echo '== ls'",
      `${kio} ls '${root}kdir/'`,
      "echo '== cat'",
      `${kio} cat '${root}kdir/a.txt'`,
      `${kio} copy '${root}kdir/big.bin' "file://$PWD/big.out"`,
      `${kio} move '${root}kdir/a.txt' '${root}kdir/b.txt'`,
      "echo '== stat'",
      `${kio} stat '${root}kdir/b.txt'`,
      `${kio} remove '${root}kdir/big.bin'`,
      "echo '== after'",
      `${kio} ls '${root}kdir/'`,
      "echo '== done'",
      // kioclient starts kded5 on the session bus: ask it to quit before the bus goes.
      "dbus-send --session --dest=org.kde.kded5 /MainApplication " +
      "org.qtproject.Qt.QCoreApplication.quit || true",
    ].join("\n");
    await Deno.writeTextFile(`${work.path}/script.sh`, script);
    // Output goes to a file, so that no daemon keeps a pipe of ours open.
    await runOk("/bin/bash", {
      args: [
        "-c",
        `'${session}' -- bash script.sh > kio.log 2>&1 < /dev/null; status=$?\n` +
        // A kded5 of this session that did not quit (its HOME is ours) is stopped.
        'for p in $(pgrep -x kded5); do grep -qz "^HOME=$HOME$" /proc/$p/environ && ' +
        "kill $p; done; exit $status",
      ],
      env: { HOME: `${work.path}/home`, LANG: "C.UTF-8", QT_QPA_PLATFORM: "offscreen" },
      cwd: work.path,
      timeoutMs: 120_000,
    });
    const log = await Deno.readTextFile(`${work.path}/kio.log`);
    const out = log.split("\n").filter((line) => !/^(kf\.|QStandardPaths|dbus-daemon\[)/.test(line))
      .join("\n");
    assertMatch(out, /== done/, log);
    const section = (name: string, next: string) =>
      out.slice(out.indexOf(`== ${name}`) + `== ${name}\n`.length, out.indexOf(`== ${next}`));
    assertEquals(section("ls", "cat").split("\n").filter((l) => l !== "" && l !== "."), [
      "a.txt",
      "big.bin",
    ]);
    assertEquals(section("cat", "stat"), text);
    assertMatch(section("stat", "after"), /^NAME\s+b\.txt$/m);
    assertMatch(section("stat", "after"), /^SIZE\s+15$/m);
    assertEquals(section("after", "done").split("\n").filter((l) => l !== "" && l !== "."), [
      "b.txt",
    ]);
    assert(sameBytes(await Deno.readFile(`${work.path}/big.out`), big), "big.bin came back whole");

    const names: string[] = [];
    for await (const entry of dav.reopen().readDir("/kdir")) names.push(entry.name);
    assertEquals(names, ["b.txt"]);
    assertEquals(await dav.reopen().readTextFile("/kdir/b.txt"), text);
  } finally {
    await dav.close();
  }
});
