import { CreateProductDto } from './create-product.dto';

/** PUT sends the whole product; an omitted description resets it to empty. */
export class ReplaceProductDto extends CreateProductDto {}
