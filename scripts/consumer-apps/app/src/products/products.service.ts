import { Injectable } from '@nestjs/common';
import { Cacheable, CacheEvict } from 'nest-cache-aside';

export interface Product {
  id: number;
  name: string;
}

@Injectable()
export class ProductsService {
  loads = 0; // how often the "database" was read (the tests count them)
  private readonly names = new Map<number, string>([[1, 'Kettle']]);

  @Cacheable('product:{0}', 60) // key template over the arguments, TTL in seconds
  async findOne(id: number): Promise<Product | null> {
    this.loads++;
    const name = this.names.get(id);
    return name === undefined ? null : { id, name };
  }

  @CacheEvict('product:{0}') // after the write succeeded; resolves once the key is gone
  async rename(id: number, name: string): Promise<void> {
    this.names.set(id, name);
  }
}
