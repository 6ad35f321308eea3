//! Stage 7, cluster: verified pairs → clusters with a representative and stable order.
//!
//! Union-find joins exact copies and verified pairs. Each cluster's representative is its most
//! complete member (the most shingles; ties go to the smallest id). Members are sorted by id and
//! clusters by their smallest member id, so cluster numbers are stable across runs and thread
//! counts.
//!
//! Chaining (A matches B, B matches C, A and C differ) is not hidden: every member is scored
//! against the representative, and a member below the threshold is shown with the direct match
//! that brought it in.

/// Disjoint sets over `0..n`, with path halving and union by size.
#[derive(Clone, Debug)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// `n` singleton sets.
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    /// The root of `x`'s set.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grand = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grand;
            x = grand;
        }
        x
    }

    /// Joins the sets of `a` and `b`.
    pub fn union(&mut self, a: u32, b: u32) {
        let (mut ra, mut rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        if self.size[ra as usize] < self.size[rb as usize] {
            std::mem::swap(&mut ra, &mut rb);
        }
        self.parent[rb as usize] = ra;
        self.size[ra as usize] += self.size[rb as usize];
    }
}

/// Groups of two or more documents from a union-find over `n` documents, each sorted by `id`,
/// the groups sorted by their first id.
pub fn groups<'a, F>(uf: &mut UnionFind, n: usize, id: F) -> Vec<Vec<u32>>
where
    F: Fn(u32) -> &'a str,
{
    let mut out = groups_by_number(uf, n);
    for members in &mut out {
        members.sort_by(|&a, &b| id(a).cmp(id(b)));
    }
    out.sort_by(|a, b| id(a[0]).cmp(id(b[0])));
    out
}

/// Groups of two or more documents from a union-find over `n` documents, each in ascending
/// document number, the groups in the order of their first members: for documents numbered
/// in id order, the groups of [`groups`], without comparing a single id.
pub fn groups_by_number(uf: &mut UnionFind, n: usize) -> Vec<Vec<u32>> {
    const NONE: u32 = u32::MAX;
    // The group of each root, from the first member met.
    let mut group_of = vec![NONE; n];
    let mut out: Vec<Vec<u32>> = Vec::new();
    for d in 0..n as u32 {
        let root = uf.find(d) as usize;
        let size = uf.size[root] as usize;
        if size < 2 {
            continue;
        }
        if group_of[root] == NONE {
            group_of[root] = out.len() as u32;
            out.push(Vec::with_capacity(size));
        }
        out[group_of[root] as usize].push(d);
    }
    out
}

/// The member with the largest `size`, ties broken by the smallest id.
///
/// # Panics
/// When `members` is empty.
pub fn representative<'a, S, F>(members: &[u32], size: S, id: F) -> u32
where
    S: Fn(u32) -> u32,
    F: Fn(u32) -> &'a str,
{
    *members
        .iter()
        .max_by(|&&a, &&b| size(a).cmp(&size(b)).then_with(|| id(b).cmp(id(a))))
        .expect("a cluster has members")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_sorted_and_stable() {
        let ids = ["d", "b", "a", "c", "e"];
        let mut uf = UnionFind::new(5);
        uf.union(0, 1); // d, b
        uf.union(3, 2); // c, a
        let g = groups(&mut uf, 5, |d| ids[d as usize]);
        let named: Vec<Vec<&str>> = g
            .iter()
            .map(|m| m.iter().map(|&d| ids[d as usize]).collect())
            .collect();
        assert_eq!(named, vec![vec!["a", "c"], vec!["b", "d"]]);
        // Numbered in id order, the groups are those of the numbers alone.
        let ordered = ["a", "b", "c", "d", "e", "f"];
        let mut uf = UnionFind::new(6);
        uf.union(4, 1);
        uf.union(3, 0);
        uf.union(5, 3);
        let by_id = groups(&mut uf.clone(), 6, |d| ordered[d as usize]);
        assert_eq!(groups_by_number(&mut uf, 6), by_id);
        assert_eq!(by_id, vec![vec![0, 3, 5], vec![1, 4]]);
    }

    #[test]
    fn union_find_joins_transitively() {
        let mut uf = UnionFind::new(4);
        uf.union(0, 1);
        uf.union(2, 3);
        assert_ne!(uf.find(0), uf.find(3));
        uf.union(1, 2);
        assert_eq!(uf.find(0), uf.find(3));
    }

    #[test]
    fn representative_is_longest_then_smallest_id() {
        let ids = ["b", "a", "c"];
        let sizes = [10, 10, 5];
        assert_eq!(
            representative(&[0, 1, 2], |d| sizes[d as usize], |d| ids[d as usize]),
            1
        );
        let sizes = [10, 9, 50];
        assert_eq!(
            representative(&[0, 1, 2], |d| sizes[d as usize], |d| ids[d as usize]),
            2
        );
    }
}
