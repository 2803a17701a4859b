//! Ratings as parallel columns, and per-user / per-item indexes over them.

use crate::MfError;

/// Observed `(user, item, rating[, time])` entries with dense `u32` indices.
///
/// Columns rather than a vector of structs: the splits and indexes work on positions, and a
/// 20M-rating problem costs 12 bytes per rating (20 with timestamps).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ratings {
    /// User index of each rating, `< n_users`.
    pub users: Vec<u32>,
    /// Item index of each rating, `< n_items`.
    pub items: Vec<u32>,
    /// The rating (or, for implicit feedback, the count/strength of the interaction).
    pub values: Vec<f32>,
    /// Optional timestamps, used by the time split.
    pub times: Option<Vec<i64>>,
    /// Number of users (indices may be unused).
    pub n_users: usize,
    /// Number of items.
    pub n_items: usize,
}

impl Ratings {
    /// Builds ratings after checking that the columns agree and the indices are in range.
    pub fn new(
        users: Vec<u32>,
        items: Vec<u32>,
        values: Vec<f32>,
        times: Option<Vec<i64>>,
        n_users: usize,
        n_items: usize,
    ) -> Result<Self, MfError> {
        let n = users.len();
        if items.len() != n || values.len() != n || times.as_ref().is_some_and(|t| t.len() != n) {
            return Err(MfError::InvalidParameter {
                name: "ratings",
                value: format!("{n} users, {} items, {} values", items.len(), values.len()),
                expected: "columns of equal length",
            });
        }
        if let Some(p) = users.iter().position(|&u| u as usize >= n_users) {
            return Err(MfError::InvalidParameter {
                name: "user index",
                value: format!("{} at rating {p}", users[p]),
                expected: "an index below the number of users",
            });
        }
        if let Some(p) = items.iter().position(|&i| i as usize >= n_items) {
            return Err(MfError::InvalidParameter {
                name: "item index",
                value: format!("{} at rating {p}", items[p]),
                expected: "an index below the number of items",
            });
        }
        if let Some(p) = values.iter().position(|v| !v.is_finite()) {
            return Err(MfError::InvalidParameter {
                name: "rating",
                value: format!("{} at rating {p}", values[p]),
                expected: "a finite number",
            });
        }
        Ok(Ratings {
            users,
            items,
            values,
            times,
            n_users,
            n_items,
        })
    }

    /// Number of ratings.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no ratings.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Mean rating (0 when empty).
    pub fn mean(&self) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        self.values.iter().map(|&v| v as f64).sum::<f64>() / self.len() as f64
    }

    /// The ratings at `positions`, in that order, over the same users and items.
    pub fn subset(&self, positions: &[usize]) -> Ratings {
        Ratings {
            users: positions.iter().map(|&p| self.users[p]).collect(),
            items: positions.iter().map(|&p| self.items[p]).collect(),
            values: positions.iter().map(|&p| self.values[p]).collect(),
            times: self
                .times
                .as_ref()
                .map(|t| positions.iter().map(|&p| t[p]).collect()),
            n_users: self.n_users,
            n_items: self.n_items,
        }
    }

    /// Ratings grouped by user.
    pub fn by_user(&self) -> Index {
        Index::build(&self.users, self.n_users)
    }

    /// Ratings grouped by item.
    pub fn by_item(&self) -> Index {
        Index::build(&self.items, self.n_items)
    }
}

/// Positions of the ratings of each user (or item), in compressed-row form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Index {
    /// `ptr[g]..ptr[g + 1]` is the range of group `g` in `positions`.
    pub ptr: Vec<usize>,
    /// Rating positions, grouped, each group in rating order.
    pub positions: Vec<u32>,
}

impl Index {
    /// Groups positions by `keys` (each `< groups`).
    pub fn build_for(keys: &[u32], groups: usize) -> Index {
        Index::build(keys, groups)
    }

    fn build(keys: &[u32], groups: usize) -> Index {
        let mut ptr = vec![0usize; groups + 1];
        for &k in keys {
            ptr[k as usize + 1] += 1;
        }
        for g in 0..groups {
            ptr[g + 1] += ptr[g];
        }
        let mut next = ptr.clone();
        let mut positions = vec![0u32; keys.len()];
        for (p, &k) in keys.iter().enumerate() {
            positions[next[k as usize]] = p as u32;
            next[k as usize] += 1;
        }
        Index { ptr, positions }
    }

    /// The rating positions of group `g`.
    pub fn group(&self, g: usize) -> &[u32] {
        &self.positions[self.ptr[g]..self.ptr[g + 1]]
    }

    /// Number of ratings in group `g`.
    pub fn count(&self, g: usize) -> usize {
        self.ptr[g + 1] - self.ptr[g]
    }
}
