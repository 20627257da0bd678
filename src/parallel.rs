//! Work split over the machine's cores: contiguous parts of a slice, each on its own thread,
//! their outputs joined in order.

/// `f` applied to contiguous parts of `items` on up to every core, each part at least
/// `min_per_thread` items long (one thread does fewer); the outputs in order.
pub fn map_parts<T: Sync, R: Send>(
    items: &[T],
    min_per_thread: usize,
    f: impl Fn(&[T]) -> Vec<R> + Sync,
) -> Vec<R> {
    let most = items.len() / min_per_thread.max(1);
    // Asked only when there is work for two: it reads the cgroup's CPU quota each time.
    if most < 2 {
        return f(items);
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(most);
    if threads == 1 {
        return f(items);
    }
    std::thread::scope(|scope| {
        // A thread the system will not start (its limit reached) leaves its part to this one.
        let parts: Vec<_> = items
            .chunks(items.len().div_ceil(threads))
            .map(|part| {
                let started = std::thread::Builder::new().spawn_scoped(scope, || f(part));
                (part, started.ok())
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|(part, started)| match started {
                Some(thread) => thread
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
                None => f(part),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::map_parts;

    #[test]
    fn parts_keep_the_order_of_the_items() {
        let items: Vec<u32> = (0..1000).collect();
        let doubled = map_parts(&items, 10, |part| part.iter().map(|i| i * 2).collect());
        assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        assert!(map_parts(&[] as &[u32], 10, |part| part.to_vec()).is_empty());
    }
}
