// A scripted cadaver session (Debian `cadaver`) against the WebDAV app: commands
// fed on standard input, every one must report success, and the state it leaves
// (files, bytes, dead properties, a lock held after quitting) is checked through
// BackupFS and HTTP. Without cadaver the test fails, naming the package.

import { assert, assertEquals, assertMatch } from "../../support/assert.ts";
import { startDav } from "../support/dav_server.ts";
import { patternBytes, requireTool, runOk, sameBytes, tempDir } from "./support/client_tools.ts";

/** The namespace cadaver gives the properties of `propset`. */
const CADAVER_NS = "http://webdav.org/cadaver/custom-properties/";

/** The output of each command of a session, by its command line (`dav:/> cmd`). */
function splitSession(output: string): { command: string; reply: string }[] {
  const parts = output.split(/^dav:[^>]*> /m).slice(1);
  return parts.map((part) => {
    const newline = part.indexOf("\n");
    return { command: part.slice(0, newline).trim(), reply: part.slice(newline + 1) };
  });
}

Deno.test("cadaver: scripted session (mkcol, put, ls, get, propset/propget, lock/discover/unlock, move, copy, delete) and the state it leaves", async () => {
  const cadaver = await requireTool(["/usr/bin/cadaver", "/usr/local/bin/cadaver"], "cadaver");
  const dav = await startDav({}, { chunkSize: 64 * 1024 });
  await using work = await tempDir("backupfs-cadaver-");
  try {
    const home = `${work.path}/home`; // no .netrc, no .cadaverrc
    await Deno.mkdir(home);
    const first = new TextEncoder().encode("first version from cadaver\n");
    const second = new TextEncoder().encode("second, written while locked\n");
    const big = patternBytes(1_500_000, 21);
    await Deno.writeFile(`${work.path}/local.txt`, first);
    await Deno.writeFile(`${work.path}/local2.txt`, second);
    await Deno.writeFile(`${work.path}/big.bin`, big);

    const commands = [
      "mkcol dir",
      "mkcol dir/sub",
      "put local.txt dir/x",
      "put big.bin dir/big.bin",
      "ls dir",
      "get dir/x out.txt",
      "get dir/big.bin big.out",
      "propset dir/x myprop hello-prop",
      "propget dir/x myprop",
      "lock dir/x",
      "discover dir/x",
      "put local2.txt dir/x",
      "unlock dir/x",
      "move dir/x dir/sub/y",
      "copy dir/sub/y dir/z",
      "propget dir/z myprop",
      "delete dir/big.bin",
      "ls dir",
      "lock dir/kept",
      "quit",
    ];
    const result = await runOk(cadaver, {
      args: [dav.base],
      stdin: commands.join("\n") + "\n",
      env: { HOME: home, TERM: "dumb", LANG: "C" },
      cwd: work.path,
      timeoutMs: 60_000,
    });
    const session = splitSession(result.stdout);
    assertEquals(session.map((s) => s.command), commands, result.stdout);
    const reply = (command: string, nth = 0) =>
      session.filter((s) => s.command === command)[nth]!.reply;

    // cadaver exits 0 whatever happens: every command's own report must say success.
    for (const { command, reply } of session) {
      assert(!/failed|could not|not found|error/i.test(reply), `${command}:\n${reply}`);
    }
    for (const command of ["mkcol dir", "mkcol dir/sub", "put local.txt dir/x", "lock dir/x"]) {
      assertMatch(reply(command), /succeeded/, command);
    }
    assertMatch(reply("ls dir"), /Coll:\s+sub\b/);
    assertMatch(reply("ls dir"), /^\s+x\s+27\s/m);
    assertMatch(reply("ls dir"), /^\s+big\.bin\s+1500000\s/m);
    assertMatch(reply("propget dir/x myprop"), /Value of myprop is: hello-prop/);
    assertMatch(reply("discover dir/x"), /Lock token <urn:uuid:[0-9a-f-]+>/);
    assertMatch(reply("discover dir/x"), /Scope: exclusive\s+Type: write/);
    assertMatch(reply("put local2.txt dir/x"), /succeeded/); // with the lock token in If
    assertMatch(reply("propget dir/z myprop"), /Value of myprop is: hello-prop/); // COPY kept it
    assertMatch(reply("ls dir", 1), /^\s+z\s+29\s/m);
    assert(!/big\.bin|^\s+x\s/m.test(reply("ls dir", 1)), reply("ls dir", 1));

    // The files cadaver downloaded.
    assert(sameBytes(await Deno.readFile(`${work.path}/out.txt`), first), "out.txt differs");
    assert(sameBytes(await Deno.readFile(`${work.path}/big.out`), big), "big.out differs");

    // The state through BackupFS.
    assertEquals(await dav.fs.exists("/dir/x"), false);
    assertEquals(await dav.fs.exists("/dir/big.bin"), false);
    assert(sameBytes(await dav.fs.readFile("/dir/sub/y"), second), "dir/sub/y differs");
    assert(sameBytes(await dav.fs.readFile("/dir/z"), second), "dir/z differs");
    for (const path of ["/dir/sub/y", "/dir/z"]) {
      const properties = (await dav.fs.getExtendedAttributes(path)).properties ?? {};
      const value = properties[`{${CADAVER_NS}}myprop`];
      assert(value?.includes("hello-prop"), `${path}: ${JSON.stringify(properties)}`);
    }
    // `lock dir/kept` on an unmapped URL made an empty resource, still locked after quit.
    assertEquals((await dav.fs.stat("/dir/kept")).size, 0);
    const put = await dav.request("dir/kept", { method: "PUT", body: "not mine" });
    await put.body?.cancel();
    assertEquals(put.status, 423);
    // and the unlocked ones take a plain PUT.
    const free = await dav.request("dir/z", { method: "PUT", body: "anyone" });
    await free.body?.cancel();
    assertEquals(free.status, 204);
  } finally {
    await dav.close();
  }
});
