// What BackupFS writes into MetadataString never holds a control character the
// store refuses (C0, DEL, C1): a content type with one goes to the MetadataBlob
// instead, so such a file still saves and keeps its content type.

import { assertEquals } from "../support/assert.ts";
import { fsTest } from "./support/backends.ts";
import { encodeMetadataString } from "../../src/fs/attributes.ts";
import { validateMetadataString } from "../../src/storage/limits.ts";
import type { BackupFS } from "../../src/fs/backup_fs.ts";

const TYPES = ["text/x\u0085y", "text/\u0080", "text/\u009f", "text/\u0001", "text/\u007f"];

Deno.test("encodeMetadataString moves a content type with C0, DEL or C1 controls to the blob", () => {
  for (const contentType of TYPES) {
    const { metadataString, overflow } = encodeMetadataString({ size: 1, mtime: 0, contentType });
    validateMetadataString(metadataString);
    assertEquals([metadataString, overflow], ["bfs1 s1 m0 o", { contentType }]);
  }
  // U+00A0 and other text above the C1 range still fit the string.
  const fine = encodeMetadataString({ size: 1, mtime: 0, contentType: "text/\u00a0ü" });
  assertEquals(fine.overflow, {});
});

/** The content type as BackupFS reports it: from stat, or from the blob when it overflowed. */
async function contentTypeOf(fs: BackupFS, path: string): Promise<string | undefined> {
  return (await fs.stat(path)).contentType ?? (await fs.getExtendedAttributes(path)).contentType;
}

fsTest(
  "a file whose content type holds C1 controls saves, reads back, keeps it through copy and rename",
  async ({ fs }) => {
    for (const [i, contentType] of TYPES.entries()) {
      await fs.writeFile(`/f${i}.txt`, new TextEncoder().encode("data"), { contentType });
      assertEquals(await contentTypeOf(fs, `/f${i}.txt`), contentType);
      assertEquals(await fs.readTextFile(`/f${i}.txt`), "data");
      await fs.copyFile(`/f${i}.txt`, `/c${i}.txt`);
      await fs.rename(`/c${i}.txt`, `/r${i}.txt`);
      assertEquals(await contentTypeOf(fs, `/r${i}.txt`), contentType);
      await fs.utime(`/r${i}.txt`, 2);
      assertEquals(await contentTypeOf(fs, `/r${i}.txt`), contentType);
    }
  },
);
