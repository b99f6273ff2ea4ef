/**
 * The worker behind `OtherProcess` (`_other_process.ts`): opens its own store
 * and runs one side of a race scenario at a time.
 *
 * @module
 */

import type { MetadataStore } from "../../../../src/storage/store/metadata/metadata_store.ts";
import type { FromWorker, ToWorker } from "./_other_process.ts";
import { openSpec, type Peer, SCENARIOS, SignalBox } from "./_race_scenarios.ts";

/** The worker's global scope, as far as this module uses it. */
const scope = self as unknown as {
  postMessage(message: FromWorker): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};

let store: MetadataStore | undefined;
const box = new SignalBox();
const post = (message: FromWorker) => scope.postMessage(message);
const peer: Peer = {
  signal: (name) => post({ type: "signal", name }),
  waitFor: (name) => box.waitFor(name),
};

scope.onmessage = async (event) => {
  const message = event.data;
  try {
    switch (message.type) {
      case "open":
        store = await openSpec(message.spec);
        post({ type: "opened" });
        break;
      case "signal":
        box.deliver(message.name);
        break;
      case "run":
        try {
          const scenario = SCENARIOS[message.scenario] as (
            store: MetadataStore,
            peer: Peer,
            args: unknown,
          ) => Promise<unknown>;
          post({
            type: "result",
            id: message.id,
            result: await scenario(store!, peer, message.args),
          });
        } catch (error) {
          post({ type: "failed", id: message.id, message: String(error) });
        }
        break;
      case "close":
        await store?.close();
        post({ type: "closed" });
        break;
    }
  } catch (error) {
    post({ type: "error", message: String(error) });
  }
};
