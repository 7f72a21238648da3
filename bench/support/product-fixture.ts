/** The cached value of every benchmark: a ~1 KB product with two Dates and a nested rating. */
export interface BenchProduct {
  id: string;
  sku: string;
  name: string;
  description: string;
  price: number;
  currency: string;
  stock: number;
  active: boolean;
  tags: string[];
  categoryIds: number[];
  images: string[];
  rating: { average: number; count: number; histogram: Record<number, number> };
  createdAt: Date;
  updatedAt: Date;
}

export function makeProduct(n: number): BenchProduct {
  const id = `prod_${n.toString(16).padStart(8, '0')}4e45fceea167a5a36dedd4be`;
  return {
    id,
    sku: `SKU-ACME-${String(n).padStart(6, '0')}-BLU-XL`,
    name: 'Acme Trail Runner 3 - Waterproof Running Shoe',
    description:
      'A lightweight trail running shoe with a waterproof membrane, a grippy lugged ' +
      'outsole and a cushioned midsole for long days on rough ground. Reinforced toe ' +
      'cap, gusseted tongue and a quick-lace system that stays put when wet. Made ' +
      'with 30% recycled materials and shipped in plastic-free packaging.',
    price: 129.95,
    currency: 'EUR',
    stock: 42,
    active: true,
    tags: ['running', 'trail', 'waterproof', 'outdoor', 'men', 'sale'],
    categoryIds: [12, 87, 310],
    images: [
      `https://cdn.example.com/p/${id}/front.jpg`,
      `https://cdn.example.com/p/${id}/side.jpg`,
    ],
    rating: { average: 4.6, count: 1287, histogram: { 1: 21, 2: 30, 3: 88, 4: 301, 5: 847 } },
    createdAt: new Date('2024-03-01T09:30:00.000Z'),
    updatedAt: new Date('2025-06-17T14:02:11.123Z'),
  };
}
