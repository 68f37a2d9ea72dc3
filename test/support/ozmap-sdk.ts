/**
 * The official @ozmap/ozmap-sdk, as the tests use it: a client nobody here wrote, against the simulator. Its zod
 * schemas (`sdk`) and its client class (`OZMapSDK`).
 */

// Importing the SDK starts an HTTP log server and logs every call at debug level unless told otherwise first.
process.env.OZLOGGER_HTTP = 'false';
process.env.OZLOGGER_LEVEL ??= 'quiet';
export const sdk = await import('@ozmap/ozmap-sdk');

// Node hands a CommonJS module.exports over as the default export, tsx unwraps `__esModule`: accept both.
export type OZMapSDKClass = (typeof sdk.default)['default'];
const interop = sdk.default as typeof sdk.default | OZMapSDKClass;
export const OZMapSDK: OZMapSDKClass = typeof interop === 'function' ? interop : interop.default;
/** An SDK client. */
export type OzmapSdkClient = InstanceType<OZMapSDKClass>;
