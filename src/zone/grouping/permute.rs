//! Moving a slice into a given order in place. A large slice is first
//! split by one pass that swaps the items bound for the other half across
//! (two sequential streams), then each half is put in order on its own
//! thread: the random moves, bound by cache and TLB misses, are shared by
//! two cores instead of done by one.

/// Puts `items` in `order` (position `j` takes the item now at
/// `order[j]`; `order` holds each position once), in place, on two
/// threads if `two_threads`.
pub(super) fn permute<T: Send>(items: &mut [T], order: &[u32], two_threads: bool) {
    if order.len() != items.len() {
        return;
    }
    // Where each item goes.
    let mut dest = vec![0u32; order.len()];
    for (j, &k) in (0u32..).zip(order) {
        if let Some(slot) = dest.get_mut(k as usize) {
            *slot = j;
        }
    }
    if !two_threads || items.len() < 2 {
        scatter(items, &mut dest);
        return;
    }
    let mid = items.len() / 2;
    let bound = u32::try_from(mid).unwrap_or(u32::MAX);
    let (mut left, mut right) = (0, mid);
    loop {
        while dest.get(left).is_some_and(|&d| d < bound) {
            left += 1;
        }
        while dest.get(right).is_some_and(|&d| d >= bound) {
            right += 1;
        }
        if left >= mid || right >= items.len() {
            break;
        }
        items.swap(left, right);
        dest.swap(left, right);
    }
    let (items_left, items_right) = items.split_at_mut(mid);
    let (dest_left, dest_right) = dest.split_at_mut(mid);
    for d in dest_right.iter_mut() {
        *d = d.saturating_sub(bound);
    }
    std::thread::scope(|s| {
        s.spawn(|| scatter(items_left, dest_left));
        scatter(items_right, dest_right);
    });
}

/// Moves each item of `items` to `dest` of its position (each position
/// once): every swap puts one item in its place for good.
fn scatter<T>(items: &mut [T], dest: &mut [u32]) {
    for p in 0..items.len() {
        loop {
            let q = dest.get(p).map_or(p, |&q| q as usize);
            // `dest[q] == q`: q is taken, so `dest` repeats a position;
            // stop rather than swap forever.
            if q == p || q >= items.len() || dest.get(q) == Some(&(q as u32)) {
                break;
            }
            items.swap(p, q);
            dest.swap(p, q);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A permutation of `n` from a small linear congruential generator.
    fn shuffled(n: usize, mut seed: u64) -> Vec<u32> {
        let mut order: Vec<u32> = (0..n as u32).collect();
        for i in (1..n).rev() {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            order.swap(i, (seed >> 33) as usize % (i + 1));
        }
        order
    }

    #[test]
    fn items_end_in_the_order_given_on_one_thread_or_two() {
        for n in [0, 1, 2, 3, 10, 1001, 50_000] {
            for seed in [1, 2] {
                let order = shuffled(n, seed);
                let expected: Vec<String> = order.iter().map(|k| format!("item {k}")).collect();
                for two_threads in [false, true] {
                    let mut items: Vec<String> = (0..n).map(|k| format!("item {k}")).collect();
                    permute(&mut items, &order, two_threads);
                    assert_eq!(
                        items, expected,
                        "n {n} seed {seed} two threads {two_threads}"
                    );
                }
            }
        }
        // Already in order, and reversed.
        let mut items: Vec<u32> = (0..1000).collect();
        let reversed: Vec<u32> = (0..1000).rev().collect();
        permute(&mut items, &reversed, true);
        assert_eq!(items, reversed);
        permute(&mut items, &reversed, true);
        assert_eq!(items, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn an_order_that_is_not_a_permutation_ends_without_hanging() {
        let mut items: Vec<u32> = (0..6).collect();
        permute(&mut items, &[0, 0, 1, 1, 2, 2], true);
        permute(&mut items, &[5, 4, 3], false);
        items.sort_unstable();
        assert_eq!(items, (0..6).collect::<Vec<_>>(), "no item lost");
    }
}
