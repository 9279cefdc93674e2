const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The textual form of a UUID, as Postgres' `gen_random_uuid()` writes our ids. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
