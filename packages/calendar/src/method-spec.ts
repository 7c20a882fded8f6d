/** One row of the generated method table (`src/_generated/methods.ts`). */
export interface MethodSpec {
  /** Discovery id, e.g. `"calendar.events.list"`. */
  readonly id: string;
  /** Resource name, e.g. `"events"`. */
  readonly resource: string;
  /** Method name, e.g. `"list"`. */
  readonly name: string;
  /** `GET`, `POST`, `PUT`, `PATCH` or `DELETE`. */
  readonly httpMethod: string;
  /** Path template relative to the service path, e.g. `"calendars/{calendarId}/events"`. */
  readonly path: string;
  /** The positional parameters, in order (path parameters, and required query ones like `destination`). */
  readonly parameterOrder: readonly string[];
  /** The positional parameters that go into the query string. */
  readonly positionalQuery: readonly string[];
  /** The optional query parameters. */
  readonly query: readonly string[];
  /** Parameters that may be given more than once. */
  readonly repeated: readonly string[];
  /** Schema of the request body, when the method has one. */
  readonly request?: string | undefined;
  /** Schema of the response body, when there is one. */
  readonly response?: string | undefined;
  /** Any one of these scopes is enough. */
  readonly scopes: readonly string[];
  /** Whether sending the request twice leaves the same state (so ambiguous failures may be retried). */
  readonly repeatable: boolean;
  /** For list methods: the largest `maxResults` Google accepts, what `.all()` asks for. */
  readonly maxPageSize?: number | undefined;
}
