//! low level implementation of the various $LU$ decompositions
pub mod full_pivoting;
pub mod partial_pivoting;
