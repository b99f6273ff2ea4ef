// A tiny TCP proxy on 127.0.0.1:0 for the integration tests: it drops the first
// `drop` connections (after reading the request's first bytes, so the client has
// committed to the request), then forwards every later one to the target.

/** Options of {@link startTcpProxy}. */
export interface TcpProxyOptions {
  /** How many connections, from the first, are closed without an answer (default 0). */
  drop?: number;
  /** Most connections accepted over the proxy's life (default 1000). */
  maxConnections?: number;
}

/** A running proxy. */
export interface TcpProxy extends AsyncDisposable {
  /** Base URL, `http://127.0.0.1:<port>`. */
  url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Connections dropped so far. */
  readonly dropped: number;
  /** Stops accepting, closes every connection, waits for the pumps. Idempotent. */
  close(): Promise<void>;
}

const PIECE = 64 * 1024;
/** Bound of one pump's loop: far more reads than any test sends. */
const MAX_READS = 1_000_000;

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

async function pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(PIECE);
  try {
    for (let reads = 0; reads < MAX_READS; reads++) {
      const n = await from.read(buffer);
      if (n === null) break;
      let offset = 0;
      for (let writes = 0; writes < PIECE && offset < n; writes++) {
        offset += await to.write(buffer.subarray(offset, n));
      }
    }
    await to.closeWrite().catch(() => {});
  } catch {
    // Either side went away: the other is closed by the caller.
  }
}

/**
 * Starts a proxy forwarding to `target` (a port on 127.0.0.1).
 *
 * @example
 * ```ts ignore
 * await using proxy = startTcpProxy(service.port, { drop: 1 });
 * await using client = makeClient(proxy.url);
 * ```
 */
export function startTcpProxy(targetPort: number, options: TcpProxyOptions = {}): TcpProxy {
  const drop = options.drop ?? 0;
  const maxConnections = options.maxConnections ?? 1000;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const live = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const state = { connections: 0, dropped: 0, closed: false };

  const handle = async (client: Deno.Conn, index: number): Promise<void> => {
    if (index < drop) {
      // Let the request start, then hang up without a byte of answer.
      await client.read(new Uint8Array(PIECE)).catch(() => null);
      state.dropped++;
      return;
    }
    let upstream: Deno.Conn;
    try {
      upstream = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
    } catch {
      return;
    }
    live.add(upstream);
    try {
      await Promise.all([pump(client, upstream), pump(upstream, client)]);
    } finally {
      live.delete(upstream);
      closeQuietly(upstream);
    }
  };

  const accepting = (async () => {
    for (let i = 0; i < maxConnections; i++) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return; // listener closed
      }
      if (state.closed) {
        closeQuietly(conn);
        return;
      }
      const index = state.connections++;
      live.add(conn);
      const task = handle(conn, index).catch(() => {}).finally(() => {
        live.delete(conn);
        closeQuietly(conn);
      });
      tasks.add(task);
      task.finally(() => tasks.delete(task));
    }
  })();

  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      state.closed = true;
      try {
        listener.close();
      } catch {
        // already closed
      }
      await accepting;
      for (const conn of live) closeQuietly(conn);
      await Promise.allSettled([...tasks]);
    })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    get connections() {
      return state.connections;
    },
    get dropped() {
      return state.dropped;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
