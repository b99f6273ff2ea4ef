import { DavError } from "../../../webdav/dav_error.ts";
import {
  evaluateIfHeader,
  type IfHeader,
  type IfResourceState,
  parseIfHeader,
} from "../../../webdav/locks/if_header.ts";
import { assert, assertEquals, assertInstanceOf } from "../../support/assert.ts";

const T = (token: string, not = false) => ({ not, type: "token" as const, token });
const E = (etag: string, weak = false, not = false) => ({
  not,
  type: "etag" as const,
  etag,
  weak,
});

Deno.test("If header parser: valid headers (table)", () => {
  const cases: [string, IfHeader][] = [
    ["(<urn:uuid:1>)", { lists: [{ conditions: [T("urn:uuid:1")] }] }],
    [
      '(<urn:uuid:1> ["abc"])',
      { lists: [{ conditions: [T("urn:uuid:1"), E('"abc"')] }] },
    ],
    ['  ( [W/"w"] )  ', { lists: [{ conditions: [E('"w"', true)] }] }],
    ['([ "sp" ])', { lists: [{ conditions: [E('"sp"')] }] }],
    [
      "(<urn:uuid:1>) (Not <DAV:no-lock>)",
      { lists: [{ conditions: [T("urn:uuid:1")] }, { conditions: [T("DAV:no-lock", true)] }] },
    ],
    [
      '(Not<DAV:no-lock>["x"])',
      { lists: [{ conditions: [T("DAV:no-lock", true), E('"x"')] }] },
    ],
    [
      '(NOT ["x"] not <opaquelocktoken:abc>)',
      { lists: [{ conditions: [E('"x"', false, true), T("opaquelocktoken:abc", true)] }] },
    ],
    [
      '<http://h/a> (<urn:uuid:1>) (["e"]) <http://h/b/> (Not <DAV:no-lock>)',
      {
        lists: [
          { resource: "http://h/a", conditions: [T("urn:uuid:1")] },
          { resource: "http://h/a", conditions: [E('"e"')] },
          { resource: "http://h/b/", conditions: [T("DAV:no-lock", true)] },
        ],
      },
    ],
    ["</dav/x>(<urn:a:b>)", { lists: [{ resource: "/dav/x", conditions: [T("urn:a:b")] }] }],
    ["\t(<urn:uuid:1>)\r\n\t(<urn:uuid:2>)", {
      lists: [{ conditions: [T("urn:uuid:1")] }, { conditions: [T("urn:uuid:2")] }],
    }],
  ];
  for (const [input, expected] of cases) {
    assertEquals(parseIfHeader(input), expected, input);
  }
});

Deno.test("If header parser: syntax errors are DavError 400 (table)", () => {
  const bad = [
    "",
    "   ",
    "()",
    "(",
    "(<urn:uuid:1>",
    "<urn:uuid:1>",
    "<http://h/a>",
    "<http://h/a> (<urn:x:1>) <http://h/b>",
    "(<urn:uuid:1>) <http://h/a> (<urn:uuid:2>)",
    "<http://h/a> (<urn:uuid:1>) (<urn:uuid:2>) (Not)",
    "(<no-scheme>)",
    "(<>)",
    "(<urn:has space>)",
    "(<urn:uuid:1)",
    '(["unterminated)',
    "([unquoted])",
    '(["x" junk])',
    '(["a b"])',
    "(Nota <urn:x:1>)",
    "(Not)",
    "(urn:uuid:1)",
    "x (<urn:uuid:1>)",
    "(<urn:uuid:1>) x",
    "(<urn:uuid:1>) ,",
  ];
  for (const input of bad) {
    let error: unknown;
    try {
      parseIfHeader(input);
    } catch (e) {
      error = e;
    }
    assertInstanceOf(error, DavError, `expected a DavError for ${JSON.stringify(input)}`);
    assertEquals(error.status, 400, input);
  }
});

Deno.test("If header parser: randomly generated headers round-trip through a printer", () => {
  // A small seeded generator: print random lists, parse, compare structurally.
  let seed = 12345;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const spaces = ["", " ", "  ", "\t"];
  for (let round = 0; round < 300; round++) {
    const tagged = random(2) === 0;
    const expected: IfHeader = { lists: [] };
    let text = spaces[random(4)];
    const tags = 1 + random(3);
    for (let t = 0; t < (tagged ? tags : 1); t++) {
      const resource = `http://h/r${random(100)}`;
      if (tagged) text += `<${resource}>` + spaces[random(4)];
      const lists = 1 + random(3);
      for (let l = 0; l < lists; l++) {
        const conditions = [];
        text += "(" + spaces[random(4)];
        const count = 1 + random(3);
        for (let c = 0; c < count; c++) {
          const not = random(3) === 0;
          if (not) text += (random(2) ? "Not" : "not") + " ";
          if (random(2) === 0) {
            const token = `urn:uuid:${random(1000)}`;
            text += `<${token}>`;
            conditions.push(T(token, not));
          } else {
            const weak = random(4) === 0;
            const etag = `"e${random(1000)}"`;
            text += `[${weak ? "W/" : ""}${etag}]`;
            conditions.push(E(etag, weak, not));
          }
          text += spaces[1 + random(3)];
        }
        text += ")" + spaces[random(4)];
        expected.lists.push(tagged ? { resource, conditions } : { conditions });
      }
    }
    assertEquals(parseIfHeader(text), expected, text);
  }
});

function states(map: Record<string, IfResourceState>) {
  const calls: string[] = [];
  return {
    calls,
    stateOf(path: string) {
      calls.push(path);
      return Promise.resolve(map[path] ?? { tokens: new Set<string>() });
    },
  };
}

Deno.test("If header evaluation: tokens, etags, Not, OR of lists, AND within a list", async () => {
  const s = states({
    "/a": { etag: '"ea"', tokens: new Set(["urn:uuid:A"]) },
    "/b": { etag: '"eb"', tokens: new Set() },
  });
  const evaluate = (header: string) =>
    evaluateIfHeader(parseIfHeader(header), {
      requestPath: "/a",
      resolve: (tag) => tag.startsWith("http://h") ? new URL(tag).pathname : undefined,
      stateOf: s.stateOf,
    });
  const table: [string, boolean][] = [
    ["(<urn:uuid:A>)", true],
    ["(<urn:uuid:B>)", false],
    ['(<urn:uuid:A> ["ea"])', true],
    ['(<urn:uuid:A> ["eb"])', false],
    ['(["ea"])', true],
    ['([W/"ea"])', false], // strong comparison: a weak tag never matches
    ['(Not [W/"ea"])', true],
    ["(Not <urn:uuid:A>)", false],
    ["(Not <DAV:no-lock>)", true],
    ["(<DAV:no-lock>)", false],
    ["(<DAV:no-lock>) (Not <DAV:no-lock>)", true],
    ["(<urn:uuid:Ax>) (Not <DAV:no-lock>)", true],
    ['(<urn:uuid:A> ["ex"]) (Not <DAV:no-lock> ["ex"])', false],
    ["<http://h/a> (<urn:uuid:A>)", true],
    ["<http://h/b> (<urn:uuid:A>)", false],
    ['<http://h/b> (["eb"])', true],
    ['<http://h/b> (["ea"]) <http://h/a> (["ea"])', true],
    ["<http://other/a> (Not <DAV:no-lock>)", false], // unresolvable tag: list is false
    ["<http://other/a> (Not <DAV:no-lock>) <http://h/a> (<urn:uuid:A>)", true],
    ["<http://other/a> (Not <DAV:no-lock>) (<urn:uuid:A>)", false], // both lists are tagged other/a
    ["<http://h/missing> (Not <DAV:no-lock>)", true],
    ['<http://h/missing> (Not ["ea"])', true],
    ['<http://h/missing> (["ea"])', false],
  ];
  for (const [header, expected] of table) {
    assertEquals((await evaluate(header)).result, expected, header);
  }
});

Deno.test("If header evaluation: reports true lists and every named token; states looked up once", async () => {
  const s = states({ "/a": { etag: '"ea"', tokens: new Set(["urn:uuid:A"]) } });
  const evaluation = await evaluateIfHeader(
    parseIfHeader('(<urn:uuid:X>) (<urn:uuid:A> ["ea"]) (Not <urn:uuid:Y>)'),
    { requestPath: "/a", resolve: () => undefined, stateOf: s.stateOf },
  );
  assert(evaluation.result);
  assertEquals(evaluation.trueLists.length, 2);
  assertEquals([...evaluation.tokens].sort(), ["urn:uuid:A", "urn:uuid:X", "urn:uuid:Y"]);
  assertEquals(s.calls, ["/a"]);
});
