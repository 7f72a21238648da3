import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { INT32_MAX } from './int32';

/**
 * Stricter than ParseIntPipe, which accepts '-1', '0' and ids past the column's range:
 * only canonical positive integers that fit the INTEGER key reach the service.
 */
@Injectable()
export class ParsePositiveIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    const id = /^[1-9]\d{0,9}$/.test(value) ? Number(value) : 0;
    if (id < 1 || id > INT32_MAX) {
      throw new BadRequestException(`id must be an integer between 1 and ${INT32_MAX}`);
    }
    return id;
  }
}
