import { Logger } from '@nestjs/common';
import { isObservable, Observable, of, Subject } from 'rxjs';
import { DEFAULT_CACHE_NAME } from '../cache-aside.constants';
import type { CacheAsideService } from '../cache-aside.service';
import { bindCache } from '../cache-binding';
import { CacheDecoratorError } from '../errors/cache-decorator.error';
import { CacheEvict } from './cache-evict.decorator';
import { CachePatch } from './cache-patch.decorator';
import { Cacheable } from './cacheable.decorator';
import { thrownBy } from '../../../../test/support/thrown-by';

/*
 * Two checks in one file. The `@ts-expect-error` lines are the type-level test:
 * `tsc --noEmit -p tsconfig.json` (`npm run typecheck`, in CI) fails if a caching
 * decorator stops being a type error on a method that returns a plain value. The
 * `it`s are the runtime test: the definition-time error where the emitted
 * `design:returntype` proves the method synchronous, and what gets through where it
 * can't tell.
 */

class ProductDto {
  id = 1;
}

function definitionError(define: () => unknown): CacheDecoratorError {
  return thrownBy(define, CacheDecoratorError);
}

describe('caching decorators on methods that return a plain value', () => {
  it('refuses @Cacheable on a method declared to return a number, when the class is defined', () => {
    const error = definitionError(() => {
      class Prices {
        // @ts-expect-error: @Cacheable applies to methods returning a Promise or an Observable
        @Cacheable('price:{0}')
        price(id: number): number {
          return id;
        }
      }
      return Prices;
    });
    expect(error.code).toBe('CACHE_DECORATOR');
    expect(error.message).toBe(
      'Prices.price is declared to return Number, but @Cacheable makes a method return a Promise (or an Observable): make it async (return Promise<...>) or return an Observable',
    );
  });

  it.each([
    [
      'an array',
      () => {
        class Lists {
          // @ts-expect-error: string[] is not a Promise
          @Cacheable({ key: 'list:{0}', ttlSeconds: 5 })
          list(category: string): string[] {
            return [category];
          }
        }
        return Lists;
      },
      'Lists.list is declared to return Array, but @Cacheable',
    ],
    [
      'a class, under @CachePatch',
      () => {
        class Writer {
          // @ts-expect-error: a DTO is not a Promise
          @CachePatch<ProductDto>({ key: 'product:{0}', fields: ['id'] })
          update(_id: number): ProductDto {
            return new ProductDto();
          }
        }
        return Writer;
      },
      'Writer.update is declared to return ProductDto, but @CachePatch',
    ],
    [
      'a boolean, under @CacheEvict',
      () => {
        class Remover {
          // @ts-expect-error: boolean is not a Promise
          @CacheEvict('product:{0}')
          remove(_id: number): boolean {
            return true;
          }
        }
        return Remover;
      },
      'Remover.remove is declared to return Boolean, but @CacheEvict',
    ],
  ])('refuses %s', (_label, define, message) => {
    expect(definitionError(define).message).toContain(message);
  });

  it('leaves void and unannotated synchronous methods to the type check (no metadata says)', () => {
    const define = () => {
      class Untold {
        // @ts-expect-error: void is not a Promise
        @CacheEvict('product:{0}')
        remove(_id: number): void {}

        // @ts-expect-error: the inferred return type, number, is not a Promise
        @Cacheable('count')
        count() {
          return 1;
        }
      }
      return Untold;
    };
    // design:returntype is undefined for both, as for a method TypeScript knows nothing of.
    expect(define).not.toThrow();
  });

  it('refuses a returns option that contradicts the declared type, or is neither value', () => {
    const contradiction = definitionError(() => {
      class Stream {
        @Cacheable({ key: 'a', returns: 'observable' })
        async load(): Promise<number> {
          return 1;
        }
      }
      return Stream;
    });
    expect(contradiction.message).toBe(
      "Stream.load is declared to return Promise, but @Cacheable is told returns: 'observable'; drop the option, the declared type says it",
    );
    const unknownKind = definitionError(() => {
      class Callback {
        @CacheEvict({ keys: 'a', returns: 'callback' as 'promise' })
        async remove(): Promise<void> {}
      }
      return Callback;
    });
    expect(unknownKind.message).toBe(
      `Callback.remove: @CacheEvict's returns must be 'promise' or 'observable', not "callback"`,
    );
  });
});

describe('caching decorators on methods that return a Promise or an Observable', () => {
  /** Stands in for the service the module's explorer binds: loads every time. */
  const passThrough = {
    enabled: true,
    getOrLoad: (_key: string, load: () => unknown) => Promise.resolve(load()),
    del: () => Promise.resolve(true),
    invalidateTags: () => Promise.resolve(true),
  };

  function bound<T extends object>(instance: T): T {
    bindCache(instance, DEFAULT_CACHE_NAME, passThrough as unknown as CacheAsideService);
    return instance;
  }

  it('accepts async, Promise, Observable (and subclasses), any and unannotated async methods', async () => {
    class Fine {
      @Cacheable('a')
      async unannotated() {
        return 1;
      }

      @Cacheable('b')
      promised(): Promise<number> {
        return Promise.resolve(2);
      }

      @Cacheable('c')
      stream(): Observable<number> {
        return of(3);
      }

      @Cacheable('d')
      subject(): Subject<number> {
        return new Subject<number>();
      }

      @Cacheable({ key: 'e', returns: 'observable' })
      untyped(): any {
        return of(5);
      }
    }
    const fine = bound(new Fine());
    expect(await fine.unannotated()).toBe(1);
    expect(await fine.promised()).toBe(2);
    expect(isObservable(fine.stream())).toBe(true);
    // A Subject is an Observable: its callers keep getting an Observable.
    expect(isObservable(fine.subject())).toBe(true);
    expect(isObservable(fine.untyped())).toBe(true);
  });

  it('says once per method, at run time, when a method its type let through returns a plain value', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      class Loose {
        @Cacheable('loose:{0}')
        find(id: number): any {
          return id * 2;
        }

        @CacheEvict('loose:{0}')
        remove(_id: number): any {
          return 'removed';
        }

        @Cacheable('strict:{0}')
        async strict(id: number): Promise<number> {
          return id;
        }
      }
      const loose = bound(new Loose());
      expect(await loose.find(1)).toBe(2);
      expect(await loose.find(2)).toBe(4);
      expect(await loose.remove(1)).toBe('removed');
      expect(await loose.strict(1)).toBe(1);
      expect(warn.mock.calls.map(([message]) => message)).toEqual([
        'Loose.find returned a plain value, but @Cacheable makes its callers get a Promise: make it async (return Promise<...>) or return an Observable',
        'Loose.remove returned a plain value, but @CacheEvict makes its callers get a Promise: make it async (return Promise<...>) or return an Observable',
      ]);
    } finally {
      warn.mockRestore();
    }
  });
});
