/**
 * ipaddr.js: parsing and matching of IPv4 and IPv6 addresses and CIDR ranges,
 * pinned here (for `--trusted-proxy`).
 *
 * @module
 */

export { default as ipaddr } from "npm:ipaddr.js@2.5.0";
