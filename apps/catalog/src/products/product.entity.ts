import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn,
} from 'typeorm';

// Index and column names match the migration, which owns the schema.
@Entity('products')
export class Product {
  @PrimaryGeneratedColumn()
  id: number;

  @Index('UQ_products_sku', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  sku: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'text', default: '' })
  description: string;

  @Index('IDX_products_category')
  @Column({ type: 'varchar', length: 100 })
  category: string;

  // Integer cents: money never goes through floating point.
  @Column({ name: 'price_cents', type: 'integer' })
  priceCents: number;

  @Column({ type: 'integer' })
  stock: number;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt: Date;

  // Raised by every save and UPDATE: orders concurrent writes for the cache (see ProductsService.patch).
  @VersionColumn()
  version: number;
}
