import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Patch,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ErrorResponse } from '../common/error-response.dto';
import { INT32_MAX } from '../common/int32';
import { IdParam } from '../common/id-param.decorator';
import { CreateProductDto } from './dto/create-product.dto';
import { CreateReviewDto } from './dto/create-review.dto';
import { ListProductsQueryDto } from './dto/list-products-query.dto';
import { PatchProductDto } from './dto/patch-product.dto';
import { ProductPage } from './dto/product-page.dto';
import { ProductView } from './dto/product-view.dto';
import { ReplaceProductDto } from './dto/replace-product.dto';
import { ReviewView } from './dto/review-view.dto';
import { ProductsService } from './products.service';

const ID_PARAM = {
  name: 'id',
  type: Number,
  description: `Product id, 1 to ${INT32_MAX}`,
  example: 1,
} as const;

@ApiTags('products')
@Controller('products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Get(':id')
  @ApiOperation({ summary: 'A product with its rating summary' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: ProductView })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Malformed id' })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'No product with this id' })
  findOne(@IdParam() id: number): Promise<ProductView> {
    return this.products.findView(id);
  }

  @Get()
  @ApiOperation({ summary: 'One page of the products in a category, ordered by id' })
  @ApiOkResponse({ type: ProductPage })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Invalid or unknown query parameter' })
  findPage(@Query() query: ListProductsQueryDto): Promise<ProductPage> {
    return this.products.findPage(query.category, query.page, query.limit);
  }

  @Post()
  @ApiOperation({ summary: 'Create a product' })
  @ApiCreatedResponse({ type: ProductView })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Invalid body' })
  @ApiConflictResponse({ type: ErrorResponse, description: 'The sku is taken' })
  create(@Body() dto: CreateProductDto): Promise<ProductView> {
    return this.products.create(dto);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Replace a product' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: ProductView })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Malformed id or invalid body' })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'No product with this id' })
  @ApiConflictResponse({ type: ErrorResponse, description: 'The sku is taken by another product' })
  replace(@IdParam() id: number, @Body() dto: ReplaceProductDto): Promise<ProductView> {
    return this.products.replace(id, dto);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change the price and/or stock of a product' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: ProductView })
  @ApiBadRequestResponse({
    type: ErrorResponse,
    description: 'Malformed id, invalid body, or neither priceCents nor stock given',
  })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'No product with this id' })
  patch(@IdParam() id: number, @Body() dto: PatchProductDto): Promise<ProductView> {
    if (dto.priceCents === undefined && dto.stock === undefined) {
      throw new BadRequestException(['body must contain priceCents and/or stock']);
    }
    return this.products.patch(id, dto);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a product and its reviews' })
  @ApiParam(ID_PARAM)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Malformed id' })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'No product with this id' })
  remove(@IdParam() id: number): Promise<void> {
    return this.products.remove(id);
  }

  @Post(':id/reviews')
  @ApiOperation({ summary: 'Review a product' })
  @ApiParam(ID_PARAM)
  @ApiCreatedResponse({ type: ReviewView })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Malformed id or invalid body' })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'No product with this id' })
  addReview(@IdParam() id: number, @Body() dto: CreateReviewDto): Promise<ReviewView> {
    return this.products.addReview(id, dto);
  }
}
