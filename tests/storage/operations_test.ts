// The wire table in src/storage/operations.ts must say exactly what the service
// model says: routes, methods, every member's location and wire name, required
// members, enums, bounds, payloads, unsigned bodies and error lists. The model is
// vendored in tests/fixtures/ and, when the shared reference is beside the
// checkout, checked to be the same file.

import { assert, assertEquals } from "../support/assert.ts";
import { encodeLabel, OPERATIONS, routeSegments } from "../../src/storage/operations.ts";
import type { MemberBinding } from "../../src/storage/operations.ts";
import { ERROR_STATUS } from "../../src/storage/errors.ts";

interface ModelMember {
  shape: string;
  location?: string;
  locationName?: string;
}
interface ModelShape {
  type: string;
  members?: Record<string, ModelMember>;
  required?: string[];
  payload?: string;
  enum?: string[];
  min?: number;
  max?: number;
  member?: { shape: string };
  error?: { httpStatusCode: number };
  exception?: boolean;
}
interface Model {
  metadata: Record<string, string>;
  operations: Record<string, {
    name: string;
    http: { method: string; requestUri: string; responseCode?: number };
    input?: { shape: string };
    output?: { shape: string };
    errors?: { shape: string }[];
    authtype?: string;
  }>;
  shapes: Record<string, ModelShape>;
}

const fixture = new URL("../fixtures/backupstorage-2018-04-10.service.json", import.meta.url);
const model: Model = JSON.parse(await Deno.readTextFile(fixture));

function wireType(shape: ModelShape): MemberBinding["type"] {
  switch (shape.type) {
    case "string":
      return "string";
    case "long":
      return "long";
    case "integer":
      return "integer";
    case "boolean":
      return "boolean";
    case "timestamp":
      return "timestamp";
    case "blob":
      return "blob";
    case "list":
      return "list";
    default:
      throw new Error(`unexpected shape type ${shape.type}`);
  }
}

/** Builds the bindings the model implies for a structure, to compare with the table. */
function expectedMembers(shapeName: string): MemberBinding[] {
  const shape = model.shapes[shapeName];
  const required = new Set(shape.required ?? []);
  return Object.entries(shape.members ?? {}).map(([member, ref]) => {
    const target = model.shapes[ref.shape];
    let location: MemberBinding["location"];
    if (ref.location === "uri") location = "uri";
    else if (ref.location === "querystring") location = "querystring";
    else if (ref.location === "header") location = "header";
    else if (shape.payload === member) location = "payload";
    else location = "json";
    const binding: MemberBinding = {
      member,
      location,
      wireName: ref.locationName ?? member,
      type: wireType(target),
      required: required.has(member),
    };
    if (target.min !== undefined && target.type !== "string") binding.min = target.min;
    if (target.max !== undefined && target.type !== "string") binding.max = target.max;
    if (target.enum) binding.enum = target.enum;
    if (target.type === "list") binding.items = expectedMembers(target.member!.shape);
    return binding;
  });
}

function normalize(bindings: readonly MemberBinding[]): unknown {
  return [...bindings]
    .map((b) => ({ ...b, items: b.items ? normalize(b.items) : undefined }))
    .sort((a, b) => a.member.localeCompare(b.member));
}

Deno.test("vendored model is the shared reference model", async () => {
  const shared = new URL(
    "../../../shared/reference/backupstorage-2018-04-10.service.json",
    import.meta.url,
  );
  let sharedText: string;
  try {
    sharedText = await Deno.readTextFile(shared);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    // A checkout without ../shared (someone's own clone) has only the vendored copy.
    assertEquals(model.metadata.uid, "backupstorage-2018-04-10");
    return;
  }
  assertEquals(JSON.parse(sharedText), model);
});

Deno.test("model metadata: rest-json, SigV4 name backup-storage", () => {
  assertEquals(model.metadata.protocol, "rest-json");
  assertEquals(model.metadata.signingName, "backup-storage");
  assertEquals(model.metadata.endpointPrefix, "backupstorage");
  assertEquals(model.metadata.apiVersion, "2018-04-10");
});

Deno.test("the table has exactly the model's nine operations", () => {
  assertEquals(Object.keys(OPERATIONS).sort(), Object.keys(model.operations).sort());
  assertEquals(Object.keys(OPERATIONS).length, 9);
});

for (const [name, op] of Object.entries(model.operations)) {
  Deno.test(`wire binding of ${name} matches the model`, () => {
    const binding = OPERATIONS[name as keyof typeof OPERATIONS];
    assertEquals(binding.name, name);
    assertEquals(binding.method, op.http.method, "method");
    assertEquals(binding.path, op.http.requestUri, "route");
    assertEquals(
      normalize(binding.input),
      normalize(op.input ? expectedMembers(op.input.shape) : []),
      "input members",
    );
    assertEquals(
      normalize(binding.output),
      normalize(op.output ? expectedMembers(op.output.shape) : []),
      "output members",
    );
    assertEquals(binding.inputPayload, op.input ? model.shapes[op.input.shape].payload : undefined);
    assertEquals(
      binding.outputPayload,
      op.output ? model.shapes[op.output.shape].payload : undefined,
    );
    assertEquals(binding.unsignedPayload, op.authtype === "v4-unsigned-body", "unsigned body");
    assertEquals(
      [...binding.errors].sort(),
      (op.errors ?? []).map((e) => e.shape).sort(),
      "errors",
    );
    // Every label of the route is bound to a required uri member, and vice versa.
    const labels = routeSegments(binding.path).flatMap((s) => ("label" in s ? [s.label] : []));
    const uriMembers = binding.input.filter((m) => m.location === "uri");
    assertEquals(labels.sort(), uriMembers.map((m) => m.wireName).sort(), "labels");
    assert(uriMembers.every((m) => m.required), "uri members are required");
  });
}

Deno.test("error classes: one per model exception with the model's status", () => {
  const exceptions = Object.entries(model.shapes).filter(([, s]) => s.exception);
  assertEquals(Object.keys(ERROR_STATUS).sort(), exceptions.map(([n]) => n).sort());
  for (const [name, shape] of exceptions) {
    assertEquals(
      ERROR_STATUS[name as keyof typeof ERROR_STATUS],
      shape.error!.httpStatusCode,
      name,
    );
  }
});

Deno.test("routes are distinct: no request path matches two operations", () => {
  const keys = Object.values(OPERATIONS).map((op) =>
    `${op.method} ${routeSegments(op.path).map((s) => ("label" in s ? "*" : s.literal)).join("/")}`
  );
  assertEquals(new Set(keys).size, keys.length);
});

Deno.test("encodeLabel escapes everything but unreserved characters", () => {
  assertEquals(encodeLabel("a/b c"), "a%2Fb%20c");
  assertEquals(encodeLabel("A-z_0.9~"), "A-z_0.9~");
  assertEquals(encodeLabel("!'()*+&=%"), "%21%27%28%29%2A%2B%26%3D%25");
  assertEquals(encodeLabel("é"), "%C3%A9");
  assertEquals(decodeURIComponent(encodeLabel("x/../y?#")), "x/../y?#");
});
