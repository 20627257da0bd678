//! The pool of request slots (`--concurrency`), with a lane for the next page of a list
//! already under way: a paged list is a chain of dependent requests, and making each of its
//! pages queue behind every independent read would stretch the longest chain of an audit.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::oneshot;

pub struct Slots {
    state: Mutex<State>,
}

struct State {
    free: usize,
    /// Waiters for a slot: next pages first, then everything else, each in arrival order.
    next_pages: VecDeque<oneshot::Sender<()>>,
    others: VecDeque<oneshot::Sender<()>>,
}

/// A slot held; dropping it hands the slot to the next waiter.
pub struct Slot<'a> {
    slots: &'a Slots,
}

impl Slots {
    pub fn new(n: usize) -> Slots {
        Slots {
            state: Mutex::new(State {
                free: n.max(1),
                next_pages: VecDeque::new(),
                others: VecDeque::new(),
            }),
        }
    }

    pub async fn acquire(&self, next_page: bool) -> Slot<'_> {
        let waiting = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.free > 0 {
                state.free -= 1;
                return Slot { slots: self };
            }
            let (tx, rx) = oneshot::channel();
            match next_page {
                true => state.next_pages.push_back(tx),
                false => state.others.push_back(tx),
            }
            rx
        };
        // The sender is only dropped after the slot was handed over, or never: a handed-over
        // slot arrives as Ok.
        let _ = waiting.await;
        Slot { slots: self }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut state = self.slots.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let next = match state.next_pages.pop_front() {
                Some(w) => Some(w),
                None => state.others.pop_front(),
            };
            match next {
                // A waiter that gave up (its future dropped) cannot take the slot: try the next.
                Some(waiter) => {
                    if waiter.send(()).is_ok() {
                        return;
                    }
                }
                None => {
                    state.free += 1;
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn next_pages_are_served_before_other_waiters() {
        let slots = std::sync::Arc::new(Slots::new(1));
        let held = slots.acquire(false).await;
        let order = std::sync::Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (name, next_page) in [("other", false), ("page", true)] {
            let (slots, order) = (slots.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let _slot = slots.acquire(next_page).await;
                order.lock().unwrap().push(name);
            }));
            tokio::task::yield_now().await;
        }
        drop(held);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), ["page", "other"]);
    }

    #[tokio::test]
    async fn a_waiter_that_gave_up_does_not_keep_the_slot() {
        let slots = Slots::new(1);
        let held = slots.acquire(false).await;
        let gave_up =
            tokio::time::timeout(std::time::Duration::from_millis(5), slots.acquire(true)).await;
        assert!(gave_up.is_err());
        drop(held);
        let _again =
            tokio::time::timeout(std::time::Duration::from_millis(100), slots.acquire(false))
                .await
                .expect("the slot went back to the pool");
    }
}
