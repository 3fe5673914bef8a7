/** Injection tokens of the config module (apart from it, so that its providers can import them). */
export const APP_ENV = Symbol('APP_ENV');
export const CONNECTOR_SETTINGS = Symbol('CONNECTOR_SETTINGS');
