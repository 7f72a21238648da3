import { Injectable } from '@nestjs/common';
import { Cacheable } from 'nest-cache-aside';
import { makeProduct, type BenchProduct } from './product-fixture';

/** A provider with a cached method, as an application would write it. */
@Injectable()
export class ProductCatalog {
  /** Runs of the (uncached) method body: stays put while the bench reads hits. */
  loads = 0;

  @Cacheable('p:{0}', 3600)
  async findOne(id: number): Promise<BenchProduct> {
    this.loads++;
    return makeProduct(id);
  }
}
