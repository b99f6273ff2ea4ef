// The password schemes of the credentials file against known vectors: bcrypt
// (OpenBSD's test vectors, in the $2a$, $2b$ and $2y$ spellings), SHA-256/512-crypt
// (Drepper's specification, also what `openssl passwd -5/-6` prints), APR1 and
// {SHA} (Apache's documentation), MD5-crypt (`openssl passwd -1`), plain; UTF-8
// passwords hashed as bytes (hashes written by htpasswd); and how fields are told
// apart: malformed hashes, limits and unsupported schemes refused without content.

import {
  classifyPassword,
  isExpensive,
  looksLikeDesCrypt,
  type StoredPassword,
} from "../../../webdav/auth/password_scheme.ts";
import { verifyPassword } from "../../../webdav/auth/password_verify.ts";
import { assert, assertEquals, assertThrows } from "../../support/assert.ts";

/** [password, stored field, scheme]: each must verify, and a near miss must not. */
const VECTORS: [string, string, StoredPassword["scheme"]][] = [
  ["U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "bcrypt"],
  ["U*U", "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "bcrypt"],
  ["U*U", "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "bcrypt"],
  ["U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK", "bcrypt"],
  ["Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "sha256-crypt"],
  [
    "Hello world!",
    "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA",
    "sha256-crypt",
  ],
  [
    "Hello world!",
    "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
    "sha512-crypt",
  ],
  ["myPassword", "$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/", "apr1"],
  ["password", "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/", "md5-crypt"],
  ["myPassword", "{SHA}VBPuJHI7uixaa6LQGWx4s+5GKNE=", "sha1"],
  ["pa:ss word", "pa:ss word", "plain"],
];

Deno.test("password schemes: known vectors verify, near misses do not", async () => {
  for (const [password, field, scheme] of VECTORS) {
    const stored = classifyPassword(field);
    assertEquals(stored, { scheme, value: field });
    assert(await verifyPassword(password, stored), `${scheme}: ${field}`);
    for (const wrong of [password + "x", password.slice(1), password.toUpperCase(), ""]) {
      if (wrong === password) continue;
      assertEquals(await verifyPassword(wrong, stored), false, `${scheme} took ${wrong}`);
    }
  }
});

Deno.test("password schemes: UTF-8 passwords, as htpasswd hashes their bytes", async () => {
  // `htpasswd -nb[B|2|5|m|s] zoe 'pässwörd🔑'` (Debian's apache2-utils).
  const password = "pässwörd🔑";
  const written = [
    "$2y$04$C.n7MD4WLSOoFkoHh.7gwut0qTBvZUSFrlKhUelcGUk69S.vUqxhW",
    "$apr1$9JdDIR6W$7paLZAN3dWIbjUElq9Oq1/",
    "$6$KKVuWd4Tugs2yFTg$89UFBGcofJ2roAb0BWxC7B3gWpjng8g8Fwi3PeNV4M0RjxNN.RFbjyF6baD1FknzVLWvqK2/FYnz949TO8jW5/",
  ];
  for (const field of written) {
    const stored = classifyPassword(field);
    assert(await verifyPassword(password, stored), stored.scheme);
    // The same letters as Latin-1 bytes are another password.
    assertEquals(await verifyPassword("pässwörd", stored), false, stored.scheme);
  }
});

Deno.test("password schemes: what is plain, what is refused (never echoing the field)", () => {
  const plain = ["hunter2", "$", "$abc", "{sha}lowercase", "{SHA", "a$2y$05$x", "rqXexS6ZhobKA"];
  for (const field of plain) assertEquals(classifyPassword(field).scheme, "plain", field);
  const bcrypt = "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
  const refused: [string, RegExp][] = [
    ["$2y$05$CCCCCCCCCCCC", /^malformed bcrypt hash$/],
    [bcrypt + "x", /^malformed bcrypt hash$/],
    [bcrypt.replace("$05$", "$03$"), /^bcrypt cost must be 4 to 17$/],
    [bcrypt.replace("$05$", "$18$"), /^bcrypt cost must be 4 to 17$/],
    ["$5$salt$tooShort", /^malformed sha256-crypt hash$/],
    ["$6$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", /^malformed sha512-crypt/],
    [
      "$5$rounds=1000001$salt$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
      /^sha256-crypt rounds must be at most 1000000$/,
    ],
    ["$apr1$r31.....$short", /^malformed apr1 hash$/],
    ["$1$toolongsalt$qjXMvbEw8oaL.CzflDtaK/", /^malformed md5-crypt hash$/],
    ["{SHA}not base64", /^malformed \{SHA\} hash$/],
    ["$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", /^unsupported password hash scheme/],
    ["$y$j9T$salt$hash", /^unsupported password hash scheme/],
    ["$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", /^unsupported/],
    ["{SSHA}abcdefgh", /^unsupported password hash scheme/],
    ["{MD5}abcdefgh", /^unsupported password hash scheme/],
  ];
  for (const [field, pattern] of refused) {
    const error = assertThrows(() => classifyPassword(field), SyntaxError);
    assert(pattern.test(error.message), `${field}: ${error.message}`);
    assert(!error.message.includes(field), "the field is never in the message");
  }
  assert(looksLikeDesCrypt("rqXexS6ZhobKA"), "Apache's crypt example for myPassword");
  assert(!looksLikeDesCrypt("rqXexS6ZhobK"));
  assert(!looksLikeDesCrypt("rqXexS6Zhob:A"));
  assertEquals(
    ["plain", "sha1", "apr1", "bcrypt"].map((scheme) =>
      isExpensive({ scheme, value: "" } as StoredPassword)
    ),
    [false, false, true, true],
  );
});

Deno.test("password schemes: a hash a library cannot take gives false, not an error", async () => {
  // classifyPassword refuses these; verifyPassword still never throws on them.
  assertEquals(await verifyPassword("x", { scheme: "bcrypt", value: "$2y$05$short" }), false);
  assertEquals(await verifyPassword("x", { scheme: "sha512-crypt", value: "$6$a$b" }), false);
  assertEquals(await verifyPassword("x", { scheme: "apr1", value: "$apr1$" }), false);
});
