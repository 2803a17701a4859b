//! low level implementation of the various cholesky-like decompositions
#[path = "./bunch_kaufman/mod.rs"]
pub mod lblt;
pub mod ldlt;
pub mod llt;
pub mod llt_pivoting;
