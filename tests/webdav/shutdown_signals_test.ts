// onShutdownSignals: the first SIGTERM stops; a repeat inside the window (the same
// Ctrl-C delivered twice by `deno task`) is ignored; one after the window forces.

import { onShutdownSignals } from "../../src/cli/shutdown_signals.ts";
import { assertEquals } from "../support/assert.ts";

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test({
  name: "onShutdownSignals: repeat within the window ignored, a later one forces",
  ignore: Deno.build.os === "windows",
  async fn() {
    // A listener of our own for the whole test, so no SIGTERM ever meets the default action.
    let delivered = 0;
    const sentinel = () => delivered++;
    Deno.addSignalListener("SIGTERM", sentinel);
    const forced: Deno.Signal[] = [];
    const signals = onShutdownSignals({ repeatWindowMs: 500, onForce: (s) => forced.push(s) });
    const send = async () => {
      const before = delivered;
      Deno.kill(Deno.pid, "SIGTERM");
      for (let i = 0; i < 200 && delivered === before; i++) await delay(10);
    };
    try {
      await send();
      assertEquals(await signals.stopped, "SIGTERM");
      await send(); // the duplicate
      assertEquals(forced, []);
      await delay(600);
      await send(); // the user insists
      assertEquals(forced, ["SIGTERM"]);
    } finally {
      signals.dispose();
      Deno.removeSignalListener("SIGTERM", sentinel);
    }
  },
});
