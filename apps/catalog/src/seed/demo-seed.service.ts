import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CATALOG_CONFIG, type CatalogConfig } from '../config/catalog-config';
import { CatalogSeeder } from './catalog.seeder';

/**
 * Seeds the demo dataset when the app starts on an empty database, so a new user's first
 * `npm start` gives an API with data behind it. Runs before the app listens (Nest awaits
 * bootstrap hooks), so no request ever sees a half-seeded catalog on first start.
 */
@Injectable()
export class DemoSeedService implements OnApplicationBootstrap {
  private readonly logger = new Logger(DemoSeedService.name);

  constructor(
    @Inject(CATALOG_CONFIG) private readonly config: CatalogConfig,
    private readonly dataSource: DataSource,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const target = this.config.demoSeed;
    if (!target || !(await this.isEmpty())) return;

    this.logger.log(
      `Empty database: seeding ${target.products} demo products and ${target.reviews} reviews`,
    );
    let nextReport = 0.25;
    const result = await new CatalogSeeder(this.dataSource).seed(target, ({ done, total }) => {
      if (total > 0 && done / total >= nextReport && done < total) {
        this.logger.log(`Seeding ${Math.floor((100 * done) / total)}% (${done}/${total} rows)`);
        nextReport += 0.25;
      }
    });
    this.logger.log(
      `Seeded ${result.productsInserted} products and ${result.reviewsInserted} reviews ` +
        `in ${(result.elapsedMs / 1000).toFixed(1)} s`,
    );
  }

  private async isEmpty(): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query('SELECT 1 FROM products LIMIT 1');
    return rows.length === 0;
  }
}
