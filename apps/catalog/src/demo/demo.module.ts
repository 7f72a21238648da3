import { Module } from '@nestjs/common';
import { QueryCounterModule } from '../database/query-counter.module';
import { ProductsModule } from '../products/products.module';
import { DemoPageController } from './demo-page.controller';
import { DemoController } from './demo.controller';
import { DemoStampedeService } from './demo-stampede.service';

/** The interactive page at `/` and the JSON endpoints it uses under `/demo`. */
@Module({
  imports: [ProductsModule, QueryCounterModule],
  controllers: [DemoPageController, DemoController],
  providers: [DemoStampedeService],
})
export class DemoModule {}
