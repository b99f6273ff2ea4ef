/**
 * "Another process" for the metadata races: {@link OtherProcess} starts a worker
 * (`_other_process_worker.ts`) with its own store over the test's database,
 * which runs one side of a scenario of `_race_scenarios.ts` at a time.
 *
 * Messages to the worker: `open` (a {@link StoreSpec}), `run` (a scenario and
 * its arguments), `signal` (from the test's side), `close`. From it: `opened`,
 * `result` / `failed`, `signal` (to the test's side), `closed`.
 *
 * @module
 */

import { type Peer, type ScenarioName, SignalBox, type StoreSpec } from "./_race_scenarios.ts";

/** A message to the worker. */
export type ToWorker =
  | { type: "open"; spec: StoreSpec }
  | { type: "run"; id: number; scenario: ScenarioName; args: unknown }
  | { type: "signal"; name: string }
  | { type: "close" };

/** A message from the worker. */
export type FromWorker =
  | { type: "opened" }
  | { type: "result"; id: number; result: unknown }
  | { type: "failed"; id: number; message: string }
  | { type: "signal"; name: string }
  | { type: "closed" }
  | { type: "error"; message: string };

/** Bound on any answer of the worker. */
const ANSWER_MS = 30_000;

/** The test's handle on a worker standing for another process. */
export class OtherProcess {
  #worker: Worker;
  #box = new SignalBox();
  #answers = new Map<string, (message: FromWorker) => void>();
  #next = 0;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const message = event.data;
      if (message.type === "signal") return this.#box.deliver(message.name);
      const key = message.type === "result" || message.type === "failed"
        ? `run:${message.id}`
        : message.type;
      this.#answers.get(key)?.(message);
      this.#answers.delete(key);
    };
  }

  /** Starts a worker and opens its store over `spec`'s database. */
  static async start(spec: StoreSpec): Promise<OtherProcess> {
    const worker = new Worker(new URL("./_other_process_worker.ts", import.meta.url).href, {
      type: "module",
    });
    const other = new OtherProcess(worker);
    try {
      await other.#ask("opened", { type: "open", spec });
    } catch (error) {
      worker.terminate();
      throw error;
    }
    return other;
  }

  /** The test side's peer: signals go to the worker, the worker's come here. */
  readonly peer: Peer = {
    signal: (name) => this.#worker.postMessage({ type: "signal", name } satisfies ToWorker),
    waitFor: (name) => this.#box.waitFor(name),
  };

  /** Runs one side of a scenario in the worker; resolves with what it returned. */
  async run<T>(scenario: ScenarioName, args: unknown): Promise<T> {
    const id = this.#next++;
    const answer = await this.#ask(`run:${id}`, { type: "run", id, scenario, args });
    if (answer.type === "failed") throw new Error(`the other process failed: ${answer.message}`);
    return (answer as { result: T }).result;
  }

  /** Closes the worker's store and ends the worker. */
  async close(): Promise<void> {
    try {
      await this.#ask("closed", { type: "close" });
    } finally {
      this.#worker.terminate();
    }
  }

  #ask(key: string, message: ToWorker): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#answers.delete(key);
        this.#answers.delete("error");
        reject(new Error(`the other process did not answer ${message.type} in ${ANSWER_MS} ms`));
      }, ANSWER_MS);
      const settle = (answer: FromWorker) => {
        clearTimeout(timer);
        this.#answers.delete("error");
        if (answer.type === "error") reject(new Error(`the other process: ${answer.message}`));
        else resolve(answer);
      };
      this.#answers.set(key, settle);
      this.#answers.set("error", settle);
      this.#worker.postMessage(message);
    });
  }
}
