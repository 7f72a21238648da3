/**
 * Names of the option sets in the cache module's `profiles`. Decorator arguments are fixed
 * when a class is defined, before any config exists, so a decorator names a profile and the
 * module fills it from the config; an unknown name only fails at the first call, hence
 * constants rather than strings typed twice.
 */
export const CATEGORY_PAGE_PROFILE = 'category-page';
