import type { ObjectLiteral, Repository } from 'typeorm';

/**
 * Deletes the row with this id and returns some of its columns, in one statement
 * (DELETE ... RETURNING: PostgreSQL, and SQLite since 3.35). TypeORM's `returning()`
 * refuses SQLite, and `query()` shapes a DELETE's rows differently per driver, hence the
 * hand-written statement read through a query runner's structured result.
 * Undefined when no row had that id.
 */
export async function deleteByIdReturning<
  Entity extends ObjectLiteral,
  Property extends keyof Entity & string,
>(
  repository: Repository<Entity>,
  id: number,
  properties: Property[],
): Promise<Pick<Entity, Property> | undefined> {
  const { metadata, manager } = repository;
  const { driver } = manager.connection;
  const [primary] = metadata.primaryColumns;
  const returned = properties
    .map((property) => {
      const column = metadata.findColumnWithPropertyName(property);
      if (!column) throw new Error(`${metadata.name} has no column for property ${property}`);
      return `${driver.escape(column.databaseName)} AS ${driver.escape(property)}`;
    })
    .join(', ');
  const sql =
    `DELETE FROM ${driver.escape(metadata.tableName)}` +
    ` WHERE ${driver.escape(primary.databaseName)} = ${driver.createParameter('id', 0)}` +
    ` RETURNING ${returned}`;
  const runner = manager.connection.createQueryRunner();
  try {
    const { records } = await runner.query(sql, [id], true);
    return records[0] as Pick<Entity, Property> | undefined;
  } finally {
    await runner.release();
  }
}
