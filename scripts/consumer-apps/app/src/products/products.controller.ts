import { Controller, Get, Param, ParseIntPipe, Put } from '@nestjs/common';
import { ProductsService } from './products.service.js';

@Controller('products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Get(':id')
  findOne(@Param('id', ParseIntPipe) id: number) {
    return this.products.findOne(id);
  }

  @Put(':id/name/:name')
  rename(@Param('id', ParseIntPipe) id: number, @Param('name') name: string) {
    return this.products.rename(id, name);
  }
}
