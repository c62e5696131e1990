import { inspect } from 'node:util';

const redacted = '[redacted]';

/**
 * A credential that cannot leak by accident: logging, JSON-serialising, inspecting or interpolating it
 * shows `[redacted]`. Only `reveal()` gives the value, at the one place that needs it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return redacted;
  }

  toString(): string {
    return redacted;
  }

  [inspect.custom](): string {
    return redacted;
  }
}
