! Built through mlp::mlp_fortran alone, which must bring the module, its
! library and libmlp: one prediction of a new network.
program fortran_consumer
  use, intrinsic :: iso_c_binding, only: c_double
  use mlp
  implicit none
  type(mlp_net) :: net
  real(c_double) :: X(2, 1) = 0.5_c_double, Y(1, 1)
  integer :: s
  s = mlp_create(net, [2, 3, 1], loss=MLP_MSE, seed=1)
  if (s == MLP_OK) s = mlp_predict(net, X, Y)
  if (s /= MLP_OK .or. .not. (Y(1, 1) > 0 .and. Y(1, 1) < 1)) then
    print '(a)', 'FAIL: ' // mlp_strerror(s)
    error stop 1
  end if
  print '(a, a)', 'PASS: libmlp ', mlp_version()
  call mlp_free(net)
end program fortran_consumer
