/**
 * The AWS SDK's default credential chain (environment, shared files and
 * profiles, SSO, process, web identity, container and instance metadata), pinned
 * here. The storage client loads it lazily (`await import(…)`) the first time it
 * needs credentials: loading it reads the environment, and importing the module
 * must need no permission.
 *
 * @module
 */

export { defaultProvider } from "npm:@aws-sdk/credential-provider-node@3.972.97";
