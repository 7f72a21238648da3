import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Written against TypeORM's Table API rather than raw DDL so the same migration creates
 * the schema on SQLite and PostgreSQL; date columns take the driver's own type and default,
 * which is what @CreateDateColumn/@UpdateDateColumn expect when reading them back.
 */
export class CreateCatalogSchema1764140000000 implements MigrationInterface {
  name = 'CreateCatalogSchema1764140000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const types = queryRunner.connection.driver.mappedDataTypes;
    const createdAt = {
      name: 'created_at',
      type: String(types.createDate),
      default: types.createDateDefault,
    };

    await queryRunner.createTable(
      new Table({
        name: 'products',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'sku', type: 'varchar', length: '64' },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'description', type: 'text', default: "''" },
          { name: 'category', type: 'varchar', length: '100' },
          { name: 'price_cents', type: 'integer' },
          { name: 'stock', type: 'integer' },
          createdAt,
          { name: 'updated_at', type: String(types.updateDate), default: types.updateDateDefault },
        ],
        indices: [
          { name: 'UQ_products_sku', columnNames: ['sku'], isUnique: true },
          { name: 'IDX_products_category', columnNames: ['category'] },
        ],
        checks: [
          { name: 'CHK_products_price_cents', expression: 'price_cents >= 0' },
          { name: 'CHK_products_stock', expression: 'stock >= 0' },
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'reviews',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'product_id', type: 'integer' },
          { name: 'rating', type: 'integer' },
          { name: 'body', type: 'text' },
          createdAt,
        ],
        foreignKeys: [
          {
            name: 'FK_reviews_product_id',
            columnNames: ['product_id'],
            referencedTableName: 'products',
            referencedColumnNames: ['id'],
            // Deleting a product takes its reviews with it, so DELETE needs no second statement.
            onDelete: 'CASCADE',
          },
        ],
        indices: [{ name: 'IDX_reviews_product_id', columnNames: ['product_id'] }],
        checks: [{ name: 'CHK_reviews_rating', expression: 'rating BETWEEN 1 AND 5' }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('reviews');
    await queryRunner.dropTable('products');
  }
}
