/**
 * Content types by file name, pinned here.
 *
 * @module
 */

export { default as mime } from "npm:mime@4.1.2";
