/**
 * node-postgres (`pg`), the PostgreSQL client, pinned here with its types.
 * `PostgresMetadataStore` runs on it, and the tests drive the throwaway clusters
 * of `tests/support/engines/` through it.
 *
 * @example The client and the pool are classes; importing them opens no connection
 * ```ts
 * import assert from "node:assert/strict";
 * import { Client, Pool } from "./pg.ts";
 *
 * assert.equal(typeof Client.prototype.connect, "function");
 * assert.equal(typeof Pool.prototype.query, "function");
 * ```
 *
 * @module
 */

// @ts-types="npm:@types/pg@8.23.1"
import pg from "npm:pg@8.23.1";
import { parse as parseUrl } from "npm:pg-connection-string@2.14.1";

/** A single connection to a PostgreSQL server (`pg.Client`). */
export const Client: typeof pg.Client = pg.Client;
/** A pool of connections to a PostgreSQL server (`pg.Pool`). */
export const Pool: typeof pg.Pool = pg.Pool;
/** A `pg.Client` instance. */
export type Client = pg.Client;
/** A `pg.Pool` instance. */
export type Pool = pg.Pool;
/** Connection settings for a client (`pg.ClientConfig`). */
export type ClientConfig = pg.ClientConfig;
/** Connection settings for a pool (`pg.PoolConfig`). */
export type PoolConfig = pg.PoolConfig;
/** A query's result (`pg.QueryResult`). */
export type QueryResult = pg.QueryResult;
/** A client checked out of a pool (`pg.PoolClient`); `release()` gives it back. */
export type PoolClient = pg.PoolClient;
/** A query with an optional statement name and values (`pg.QueryConfig`). */
export type QueryConfig = pg.QueryConfig;
/** Per-pool type parsers (`pg.CustomTypesConfig`), instead of the process-wide `types.setTypeParser`. */
export type CustomTypesConfig = pg.CustomTypesConfig;
/** The default type parsers of `pg-types` (`pg.types`); `getTypeParser(oid)` reads them. */
export const types: typeof pg.types = pg.types;

/**
 * The settings a connection string names (`pg-connection-string`'s `parse`, as
 * pg applies it): host, port, user, password, database, and the query's
 * parameters (`options`, `sslmode`, `application_name`…); absent ones empty.
 * (pg parses a `connectionString` itself, but then a password function given
 * beside it is overwritten by the URL's empty password.)
 */
export const parseConnectionString: (url: string) => Record<string, unknown> = parseUrl;
