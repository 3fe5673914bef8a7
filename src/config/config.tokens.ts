/** Injection tokens of the config module (apart from it, so that its providers can import them). */
export const APP_ENV = Symbol('APP_ENV');
/** The mapping file as read at start (a `LoadedMapping`): where `ConnectorConfig` begins. */
export const MAPPING_AT_START = Symbol('MAPPING_AT_START');
