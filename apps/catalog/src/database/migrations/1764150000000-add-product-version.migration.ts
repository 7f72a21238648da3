import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A version per product, raised by every UPDATE (TypeORM's @VersionColumn): the cached view
 * is patched only over an older version, so two PATCHes that reach Redis in the other order
 * than the database can't leave the older one cached. Plain ALTER TABLE, the same on SQLite
 * and PostgreSQL, and instant on both for a constant default (TypeORM's addColumn would
 * rebuild the SQLite table).
 */
export class AddProductVersion1764150000000 implements MigrationInterface {
  name = 'AddProductVersion1764150000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE products ADD COLUMN version integer NOT NULL DEFAULT 1');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE products DROP COLUMN version');
  }
}
