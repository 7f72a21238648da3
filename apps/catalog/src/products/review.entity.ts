import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { Product } from './product.entity';

@Entity('reviews')
export class Review {
  @PrimaryGeneratedColumn()
  id: number;

  // The plain column next to the relation lets a review be inserted and aggregated by
  // product id without loading the product.
  @Index('IDX_reviews_product_id')
  @Column({ name: 'product_id', type: 'integer' })
  productId: number;

  @ManyToOne(() => Product, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'product_id', foreignKeyConstraintName: 'FK_reviews_product_id' })
  product?: Product;

  @Column({ type: 'integer' })
  rating: number;

  @Column({ type: 'text' })
  body: string;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
